package config

import (
	"strings"
	"time"
)

// SASL mechanisms accepted in KAFKA_SASL_MECHANISM.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Kafka is the connection to the Kafka cluster.
type Kafka struct {
	Brokers []string // KAFKA_BROKERS, comma separated host:port

	SASLMechanism string // KAFKA_SASL_MECHANISM: "", PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	SASLUsername  string // KAFKA_SASL_USERNAME (CKafka: instanceId#username)
	SASLPassword  string // KAFKA_SASL_PASSWORD

	TLS bool // KAFKA_TLS; implied by a CA
	// TLSCAPEM holds the CA bundle from KAFKA_TLS_CA_PEM or the file KAFKA_TLS_CA_FILE. Empty
	// means the system roots.
	TLSCAPEM []byte
	// TLSSkipHostnameCheck (KAFKA_TLS_SKIP_HOSTNAME_CHECK) skips only the host name check;
	// the certificate chain is still verified against the CA.
	TLSSkipHostnameCheck bool

	ClientID       string        // KAFKA_CLIENT_ID, default "kafkafn"
	DialTimeout    time.Duration // KAFKA_DIAL_TIMEOUT, default 3s
	RequestTimeout time.Duration // KAFKA_REQUEST_TIMEOUT: cap for one Kafka call, default 10s
	MetadataTTL    time.Duration // KAFKA_METADATA_TTL, default 1s
	IdleTimeout    time.Duration // KAFKA_IDLE_TIMEOUT: pooled connections idle longer are redialled, default 30s
}

// KafkaFromEnv reads the Kafka section. An empty broker list is valid here (the local binary
// then starts an embedded broker); use RequireBrokers where brokers are mandatory.
func KafkaFromEnv(getenv Getenv) (Kafka, error) {
	r := &reader{getenv: getenv}
	k := Kafka{
		Brokers:              r.list("KAFKA_BROKERS"),
		SASLMechanism:        strings.ToUpper(r.str("KAFKA_SASL_MECHANISM", "")),
		SASLUsername:         r.str("KAFKA_SASL_USERNAME", ""),
		SASLPassword:         r.secret("KAFKA_SASL_PASSWORD"),
		TLS:                  r.boolean("KAFKA_TLS", false),
		TLSSkipHostnameCheck: r.boolean("KAFKA_TLS_SKIP_HOSTNAME_CHECK", false),
		ClientID:             r.str("KAFKA_CLIENT_ID", "kafkafn"),
		DialTimeout:          r.duration("KAFKA_DIAL_TIMEOUT", 3*time.Second, 100*time.Millisecond, time.Minute),
		RequestTimeout:       r.duration("KAFKA_REQUEST_TIMEOUT", 10*time.Second, 100*time.Millisecond, 15*time.Minute),
		MetadataTTL:          r.duration("KAFKA_METADATA_TTL", time.Second, 100*time.Millisecond, 10*time.Minute),
		IdleTimeout:          r.duration("KAFKA_IDLE_TIMEOUT", 30*time.Second, time.Second, time.Hour),
	}
	pem, file := r.getenv("KAFKA_TLS_CA_PEM"), r.str("KAFKA_TLS_CA_FILE", "")
	switch {
	case strings.TrimSpace(pem) != "" && file != "":
		r.fail("KAFKA_TLS_CA_PEM", "set KAFKA_TLS_CA_PEM or KAFKA_TLS_CA_FILE, not both")
	case strings.TrimSpace(pem) != "":
		k.TLSCAPEM = []byte(strings.ReplaceAll(pem, `\n`, "\n"))
	case file != "":
		k.TLSCAPEM = r.readFile("KAFKA_TLS_CA_FILE", file)
	}
	if len(k.TLSCAPEM) > 0 {
		k.TLS = true
	}
	for _, b := range k.Brokers {
		if i := strings.LastIndexByte(b, ':'); i <= 0 || i == len(b)-1 {
			r.fail("KAFKA_BROKERS", "%q is not host:port", b)
		}
	}
	switch k.SASLMechanism {
	case "":
		if k.SASLUsername != "" || k.SASLPassword != "" {
			r.fail("KAFKA_SASL_MECHANISM", "is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if k.SASLUsername == "" {
			r.fail("KAFKA_SASL_USERNAME", "is required with KAFKA_SASL_MECHANISM=%s", k.SASLMechanism)
		}
		if k.SASLPassword == "" {
			r.fail("KAFKA_SASL_PASSWORD", "is required with KAFKA_SASL_MECHANISM=%s", k.SASLMechanism)
		}
	default:
		r.fail("KAFKA_SASL_MECHANISM", "must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", k.SASLMechanism)
	}
	if k.TLSSkipHostnameCheck && !k.TLS {
		r.fail("KAFKA_TLS_SKIP_HOSTNAME_CHECK", "needs TLS (KAFKA_TLS=true or a CA)")
	}
	return k, r.err()
}

// RequireBrokers reports an error naming KAFKA_BROKERS when none are configured.
func (k Kafka) RequireBrokers() error {
	if len(k.Brokers) == 0 {
		return errorf("KAFKA_BROKERS", "is required (comma-separated host:port list)")
	}
	return nil
}
