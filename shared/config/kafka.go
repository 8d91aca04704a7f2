package config

import (
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
)

// SASL mechanisms accepted in KAFKA_SASL_MECHANISM.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
	SASLAWSMSKIAM   = "AWS_MSK_IAM" // MSK IAM: SigV4-signed with the function's AWS credentials
	SASLOAuthBearer = "OAUTHBEARER" // RFC 7628 / KIP-255: an OAuth 2.0 access token
)

// Kafka is the Kafka section as read and validated from the environment. broker owns the
// type it connects with (broker.Config, which names each field's default); kafkaenv.Broker
// maps this onto it, apart from this package because broker links kafka-go.
type Kafka struct {
	Brokers []string // KAFKA_BROKERS, comma separated host:port

	SASLMechanism string // KAFKA_SASL_MECHANISM: "", PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM, OAUTHBEARER
	SASLUsername  string // KAFKA_SASL_USERNAME (CKafka: instanceId#username)
	SASLPassword  string // KAFKA_SASL_PASSWORD

	AWS   AWSCredentials // AWS_MSK_IAM
	OAuth OAuth          // OAUTHBEARER

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
	r := envread.New(getenv)
	k := Kafka{
		Brokers:              r.List("KAFKA_BROKERS"),
		SASLMechanism:        strings.ToUpper(r.Str("KAFKA_SASL_MECHANISM", "")),
		SASLUsername:         r.Str("KAFKA_SASL_USERNAME", ""),
		SASLPassword:         r.Secret("KAFKA_SASL_PASSWORD"),
		AWS:                  awsFromEnv(r),
		OAuth:                oauthFromEnv(r),
		TLS:                  r.Boolean("KAFKA_TLS", false),
		TLSSkipHostnameCheck: r.Boolean("KAFKA_TLS_SKIP_HOSTNAME_CHECK", false),
		ClientID:             r.Str("KAFKA_CLIENT_ID", "kafkafn"),
		DialTimeout:          r.Duration("KAFKA_DIAL_TIMEOUT", 3*time.Second, 100*time.Millisecond, time.Minute),
		RequestTimeout:       r.Duration("KAFKA_REQUEST_TIMEOUT", 10*time.Second, 100*time.Millisecond, 15*time.Minute),
		MetadataTTL:          r.Duration("KAFKA_METADATA_TTL", time.Second, 100*time.Millisecond, 10*time.Minute),
		IdleTimeout:          r.Duration("KAFKA_IDLE_TIMEOUT", 30*time.Second, time.Second, time.Hour),
	}
	pem, file := r.Getenv("KAFKA_TLS_CA_PEM"), r.Str("KAFKA_TLS_CA_FILE", "")
	switch {
	case strings.TrimSpace(pem) != "" && file != "":
		r.Fail("KAFKA_TLS_CA_PEM", "set KAFKA_TLS_CA_PEM or KAFKA_TLS_CA_FILE, not both")
	case strings.TrimSpace(pem) != "":
		k.TLSCAPEM = []byte(strings.ReplaceAll(pem, `\n`, "\n"))
	case file != "":
		k.TLSCAPEM = r.ReadFile("KAFKA_TLS_CA_FILE", file)
	}
	if len(k.TLSCAPEM) > 0 {
		k.TLS = true
	}
	for _, b := range k.Brokers {
		if i := strings.LastIndexByte(b, ':'); i <= 0 || i == len(b)-1 {
			r.Fail("KAFKA_BROKERS", "%q is not host:port", b)
		}
	}
	switch k.SASLMechanism {
	case "":
		if k.SASLUsername != "" || k.SASLPassword != "" {
			r.Fail("KAFKA_SASL_MECHANISM", "is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if k.SASLUsername == "" {
			r.Fail("KAFKA_SASL_USERNAME", "is required with KAFKA_SASL_MECHANISM=%s", k.SASLMechanism)
		}
		if k.SASLPassword == "" {
			r.Fail("KAFKA_SASL_PASSWORD", "is required with KAFKA_SASL_MECHANISM=%s", k.SASLMechanism)
		}
	case SASLAWSMSKIAM, SASLOAuthBearer:
		if k.SASLUsername != "" || k.SASLPassword != "" {
			r.Fail("KAFKA_SASL_USERNAME", "is not used with KAFKA_SASL_MECHANISM=%s; unset KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", k.SASLMechanism)
		}
		k.TLS = true // MSK's IAM listener and every OAUTHBEARER service speak TLS only; tokens never go out in clear
		if k.SASLMechanism == SASLAWSMSKIAM {
			k.AWS.validate(r)
		} else {
			k.OAuth.validate(r)
		}
	default:
		r.Fail("KAFKA_SASL_MECHANISM", "must be PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM or OAUTHBEARER, got %q", k.SASLMechanism)
	}
	if k.TLSSkipHostnameCheck && !k.TLS {
		r.Fail("KAFKA_TLS_SKIP_HOSTNAME_CHECK", "needs TLS (KAFKA_TLS=true or a CA)")
	}
	return k, r.Err()
}

// RequireBrokers reports an error naming KAFKA_BROKERS when none are configured.
func (k Kafka) RequireBrokers() error {
	if len(k.Brokers) == 0 {
		return envread.Errorf("KAFKA_BROKERS", "is required (comma-separated host:port list)")
	}
	return nil
}

// AWSCredentials locates the AWS credentials for AWS_MSK_IAM, as Lambda provides them. The
// variables are checked here at start-up and read again for every new Kafka connection
// (Getenv), so a connection never signs with credentials older than the process's current
// ones (segmentio/kafka-go#975: a warm container outlives its first credentials).
type AWSCredentials struct {
	Region string // AWS_REGION, else AWS_DEFAULT_REGION
	// ContainerURI is AWS_CONTAINER_CREDENTIALS_FULL_URI (Lambda SnapStart and container
	// runtimes): credentials with an expiry, fetched with the Authorization header from
	// AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE. Used when
	// AWS_ACCESS_KEY_ID is not set (the AWS SDKs' order).
	ContainerURI string
	// Getenv reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and the
	// container authorization token per connection.
	Getenv Getenv
}

func awsFromEnv(r *envread.Reader) AWSCredentials {
	region := r.Str("AWS_REGION", r.Str("AWS_DEFAULT_REGION", ""))
	return AWSCredentials{Region: region, ContainerURI: r.Str("AWS_CONTAINER_CREDENTIALS_FULL_URI", ""), Getenv: r.Getenv}
}

func (a *AWSCredentials) validate(r *envread.Reader) {
	if a.Region == "" {
		r.Fail("AWS_REGION", "is required with KAFKA_SASL_MECHANISM=AWS_MSK_IAM (the MSK cluster's region; Lambda sets it)")
	}
	id, secret := strings.TrimSpace(r.Getenv("AWS_ACCESS_KEY_ID")), r.Getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case id != "":
		if secret == "" {
			r.Fail("AWS_SECRET_ACCESS_KEY", "is required with AWS_ACCESS_KEY_ID")
		}
		a.ContainerURI = "" // the SDKs prefer the environment's keys
	case a.ContainerURI != "":
		if err := checkContainerURI(a.ContainerURI); err != "" {
			r.Fail("AWS_CONTAINER_CREDENTIALS_FULL_URI", "%s", err)
		}
		if r.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN") == "" && r.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") == "" {
			r.Fail("AWS_CONTAINER_AUTHORIZATION_TOKEN", "or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is required with AWS_CONTAINER_CREDENTIALS_FULL_URI")
		}
	default:
		r.Fail("AWS_ACCESS_KEY_ID", "is required with KAFKA_SASL_MECHANISM=AWS_MSK_IAM (with AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, as Lambda sets them), or AWS_CONTAINER_CREDENTIALS_FULL_URI")
	}
}

// checkContainerURI allows https, or http to a loopback or the ECS/EKS link-local credential
// addresses (the rule the AWS SDKs apply).
func checkContainerURI(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "must be an absolute URL"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		host := u.Hostname()
		if host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23" {
			return ""
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return ""
		}
		return "http is allowed only to a loopback address; use https"
	default:
		return "must be an http(s) URL"
	}
}

// OAuth is the OAUTHBEARER token source: a client-credentials token endpoint, or the Azure
// Functions managed identity.
type OAuth struct {
	TokenURL     string   // KAFKA_OAUTH_TOKEN_URL, https
	ClientID     string   // KAFKA_OAUTH_CLIENT_ID (with a managed identity: a user-assigned identity's client id)
	ClientSecret string   // KAFKA_OAUTH_CLIENT_SECRET
	Scopes       []string // KAFKA_OAUTH_SCOPE, space separated; Event Hubs: https://<namespace>.servicebus.windows.net/.default
	// CAPEM (KAFKA_OAUTH_CA_FILE) is trusted for the token endpoint besides the system roots.
	CAPEM []byte
	// ManagedIdentity (KAFKA_OAUTH_MANAGED_IDENTITY) takes tokens from IDENTITY_ENDPOINT with
	// IDENTITY_HEADER, which Azure Functions sets; the header is read per token (the platform
	// rotates it) through Getenv.
	ManagedIdentity  bool
	IdentityEndpoint string
	Getenv           Getenv
	// Extensions (KAFKA_OAUTH_EXTENSIONS, key=value,key=value) are sent with the token, e.g.
	// Confluent Cloud's logicalCluster=lkc-...,identityPoolId=pool-....
	Extensions map[string]string
}

// Resource is the managed-identity resource for the scope: the scope without /.default.
func (o OAuth) Resource() string {
	if len(o.Scopes) == 0 {
		return ""
	}
	return strings.TrimSuffix(o.Scopes[0], "/.default")
}

func oauthFromEnv(r *envread.Reader) OAuth {
	o := OAuth{
		TokenURL:         r.Str("KAFKA_OAUTH_TOKEN_URL", ""),
		ClientID:         r.Str("KAFKA_OAUTH_CLIENT_ID", ""),
		ClientSecret:     r.Secret("KAFKA_OAUTH_CLIENT_SECRET"),
		Scopes:           strings.Fields(r.Getenv("KAFKA_OAUTH_SCOPE")),
		ManagedIdentity:  r.Boolean("KAFKA_OAUTH_MANAGED_IDENTITY", false),
		IdentityEndpoint: r.Str("IDENTITY_ENDPOINT", ""),
		Getenv:           r.Getenv,
	}
	if f := r.Str("KAFKA_OAUTH_CA_FILE", ""); f != "" {
		o.CAPEM = r.ReadFile("KAFKA_OAUTH_CA_FILE", f)
	}
	for _, kv := range r.List("KAFKA_OAUTH_EXTENSIONS") {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok || !envread.OAuthExtKey.MatchString(k) || k == "auth" || !envread.OAuthExtValue.MatchString(v):
			r.Fail("KAFKA_OAUTH_EXTENSIONS", "must be key=value pairs separated by commas, keys letters only (not auth); got %q", k)
		default:
			if o.Extensions == nil {
				o.Extensions = map[string]string{}
			}
			o.Extensions[k] = v
		}
	}
	return o
}

// ExtensionKeys returns the extension keys sorted, the order they are sent in.
func (o OAuth) ExtensionKeys() []string {
	keys := make([]string, 0, len(o.Extensions))
	for k := range o.Extensions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (o *OAuth) validate(r *envread.Reader) {
	if o.ManagedIdentity {
		if o.TokenURL != "" || o.ClientSecret != "" {
			r.Fail("KAFKA_OAUTH_MANAGED_IDENTITY", "takes no KAFKA_OAUTH_TOKEN_URL or KAFKA_OAUTH_CLIENT_SECRET")
		}
		if len(o.Scopes) != 1 {
			r.Fail("KAFKA_OAUTH_SCOPE", "must be one scope with KAFKA_OAUTH_MANAGED_IDENTITY (Event Hubs: https://<namespace>.servicebus.windows.net/.default)")
		}
		if o.IdentityEndpoint == "" || r.Getenv("IDENTITY_HEADER") == "" {
			r.Fail("IDENTITY_ENDPOINT", "and IDENTITY_HEADER are required with KAFKA_OAUTH_MANAGED_IDENTITY (Azure sets them when the function app has a managed identity)")
		} else if u, err := url.Parse(o.IdentityEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.Fail("IDENTITY_ENDPOINT", "must be an http(s) URL")
		}
		return
	}
	if o.TokenURL == "" {
		r.Fail("KAFKA_OAUTH_TOKEN_URL", "is required with KAFKA_SASL_MECHANISM=OAUTHBEARER (or KAFKA_OAUTH_MANAGED_IDENTITY=true)")
	} else if u, err := url.Parse(o.TokenURL); err != nil || u.Scheme != "https" || u.Host == "" {
		r.Fail("KAFKA_OAUTH_TOKEN_URL", "must be an https URL")
	}
	if o.ClientID == "" {
		r.Fail("KAFKA_OAUTH_CLIENT_ID", "is required with KAFKA_OAUTH_TOKEN_URL")
	}
	if o.ClientSecret == "" {
		r.Fail("KAFKA_OAUTH_CLIENT_SECRET", "is required with KAFKA_OAUTH_TOKEN_URL")
	}
}

// EmbeddedKafka configures the broker the all-routes binary starts for local development
// when no cluster is configured.
type EmbeddedKafka struct {
	Dir string // EMBEDDED_KAFKA_DIR: where the broker keeps its log; empty: in memory
}

// EmbeddedKafkaFromEnv reports whether a local run should start an embedded broker (only
// when KAFKA_BROKERS is not set) and where it keeps its data.
func EmbeddedKafkaFromEnv(getenv Getenv) (EmbeddedKafka, bool) {
	if strings.TrimSpace(getenv("KAFKA_BROKERS")) != "" {
		return EmbeddedKafka{}, false
	}
	return EmbeddedKafka{Dir: getenv("EMBEDDED_KAFKA_DIR")}, true
}
