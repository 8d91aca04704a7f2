package broker

import (
	"time"

	"github.com/kafkafn/kafkafn/shared/broker/saslcred"
)

// SASL mechanisms Config.SASLMechanism accepts (KAFKA_SASL_MECHANISM).
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
	SASLAWSMSKIAM   = "AWS_MSK_IAM" // MSK IAM: SigV4-signed with the function's AWS credentials
	SASLOAuthBearer = "OAUTHBEARER" // RFC 7628 / KIP-255: an OAuth 2.0 access token
)

// Config is the connection to the Kafka cluster. It holds plain values only;
// shared/config/kafkaenv reads and validates the variables named below into it. A zero duration
// is not replaced by its default here: callers outside the environment path (tests, the bench)
// set every field they rely on, as brokertest.Config does.
type Config struct {
	Brokers []string // KAFKA_BROKERS, comma separated host:port; required

	SASLMechanism string // KAFKA_SASL_MECHANISM: "" (none, default), PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM, OAUTHBEARER
	SASLUsername  string // KAFKA_SASL_USERNAME (CKafka: instanceId#username), default none
	SASLPassword  string // KAFKA_SASL_PASSWORD, default none

	AWS   saslcred.AWSCredentials // AWS_MSK_IAM
	OAuth saslcred.OAuth          // OAUTHBEARER

	TLS bool // KAFKA_TLS, default false; implied by a CA, AWS_MSK_IAM and OAUTHBEARER
	// TLSCAPEM holds the CA bundle from KAFKA_TLS_CA_PEM or the file KAFKA_TLS_CA_FILE.
	// Default empty: the system roots.
	TLSCAPEM []byte
	// TLSSkipHostnameCheck (KAFKA_TLS_SKIP_HOSTNAME_CHECK, default false) skips only the host
	// name check; the certificate chain is still verified against the CA.
	TLSSkipHostnameCheck bool

	ClientID       string        // KAFKA_CLIENT_ID, default "kafkafn"
	DialTimeout    time.Duration // KAFKA_DIAL_TIMEOUT, default 3s
	RequestTimeout time.Duration // KAFKA_REQUEST_TIMEOUT: cap for one Kafka call, default 10s
	MetadataTTL    time.Duration // KAFKA_METADATA_TTL, default 1s
	IdleTimeout    time.Duration // KAFKA_IDLE_TIMEOUT: pooled connections idle longer are redialled, default 30s
}
