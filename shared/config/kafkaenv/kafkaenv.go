// Package kafkaenv fills broker.Config from the environment: it reads and validates the
// KAFKA_* variables (and AWS_* / IDENTITY_* for AWS_MSK_IAM and OAUTHBEARER) onto the type
// broker owns, whose fields name their variables and defaults. It is apart from config so
// that config, which every binary links, stays free of kafka-go (broker links it; the token
// binary must not).
package kafkaenv

import (
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/saslcred"
	"github.com/kafkafn/kafkafn/shared/config/envread"
)

// FromEnv reads the Kafka section (KAFKA_*, and AWS_* / IDENTITY_* for the SASL mechanisms
// that need them) into a broker.Config. An empty broker list is valid here (the local binary
// then starts an embedded broker); use RequireBrokers where brokers are mandatory.
func FromEnv(getenv func(string) string) (broker.Config, error) {
	r := envread.New(getenv)
	k := broker.Config{
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
	case broker.SASLPlain, broker.SASLScramSHA256, broker.SASLScramSHA512:
		if k.SASLUsername == "" {
			r.Fail("KAFKA_SASL_USERNAME", "is required with KAFKA_SASL_MECHANISM=%s", k.SASLMechanism)
		}
		if k.SASLPassword == "" {
			r.Fail("KAFKA_SASL_PASSWORD", "is required with KAFKA_SASL_MECHANISM=%s", k.SASLMechanism)
		}
	case broker.SASLAWSMSKIAM, broker.SASLOAuthBearer:
		if k.SASLUsername != "" || k.SASLPassword != "" {
			r.Fail("KAFKA_SASL_USERNAME", "is not used with KAFKA_SASL_MECHANISM=%s; unset KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", k.SASLMechanism)
		}
		k.TLS = true // MSK's IAM listener and every OAUTHBEARER service speak TLS only; tokens never go out in clear
		if k.SASLMechanism == broker.SASLAWSMSKIAM {
			validateAWS(r, &k.AWS)
		} else {
			validateOAuth(r, &k.OAuth)
		}
	default:
		r.Fail("KAFKA_SASL_MECHANISM", "must be PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM or OAUTHBEARER, got %q", k.SASLMechanism)
	}
	if k.TLSSkipHostnameCheck && !k.TLS {
		r.Fail("KAFKA_TLS_SKIP_HOSTNAME_CHECK", "needs TLS (KAFKA_TLS=true or a CA)")
	}
	return k, r.Err()
}

// RequireBrokers reports an error naming KAFKA_BROKERS when c has no brokers.
func RequireBrokers(c broker.Config) error {
	if len(c.Brokers) == 0 {
		return envread.Errorf("KAFKA_BROKERS", "is required (comma-separated host:port list)")
	}
	return nil
}

func awsFromEnv(r *envread.Reader) saslcred.AWSCredentials {
	region := r.Str("AWS_REGION", r.Str("AWS_DEFAULT_REGION", ""))
	return saslcred.AWSCredentials{Region: region, ContainerURI: r.Str("AWS_CONTAINER_CREDENTIALS_FULL_URI", ""), Getenv: r.Getenv}
}

func validateAWS(r *envread.Reader, a *saslcred.AWSCredentials) {
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

func oauthFromEnv(r *envread.Reader) saslcred.OAuth {
	o := saslcred.OAuth{
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

func validateOAuth(r *envread.Reader, o *saslcred.OAuth) {
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
