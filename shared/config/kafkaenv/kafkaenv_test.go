package kafkaenv_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config/kafkaenv"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestKafkaFromEnv(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // a variable name the error must mention; "" = valid
		check   func(t *testing.T, k broker.Config)
	}{
		{"defaults", map[string]string{"KAFKA_BROKERS": "a:9092, b:9093"}, "", func(t *testing.T, k broker.Config) {
			if len(k.Brokers) != 2 || k.Brokers[1] != "b:9093" || k.ClientID != "kafkafn" || k.DialTimeout != 3*time.Second || k.MetadataTTL != time.Second {
				t.Errorf("%+v", k)
			}
		}},
		{"CKafka-style SASL PLAIN over TLS with a CA file", map[string]string{
			"KAFKA_BROKERS": "ckafka:50000", "KAFKA_SASL_MECHANISM": "plain", "KAFKA_SASL_USERNAME": "ckafka-abc#alice",
			"KAFKA_SASL_PASSWORD": " pass word ", "KAFKA_TLS_CA_FILE": ca, "KAFKA_TLS_SKIP_HOSTNAME_CHECK": "true",
		}, "", func(t *testing.T, k broker.Config) {
			if k.SASLMechanism != "PLAIN" || k.SASLPassword != " pass word " || !k.TLS || !k.TLSSkipHostnameCheck || len(k.TLSCAPEM) == 0 {
				t.Errorf("%+v", k)
			}
		}},
		{"inline PEM with escaped newlines", map[string]string{"KAFKA_TLS_CA_PEM": `-----BEGIN CERTIFICATE-----\nAAA`}, "", func(t *testing.T, k broker.Config) {
			if !strings.Contains(string(k.TLSCAPEM), "\nAAA") || !k.TLS {
				t.Errorf("%q", k.TLSCAPEM)
			}
		}},
		{"unknown mechanism", map[string]string{"KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM", nil},
		{"mechanism without a user", map[string]string{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_PASSWORD": "x"}, "KAFKA_SASL_USERNAME", nil},
		{"credentials without a mechanism", map[string]string{"KAFKA_SASL_USERNAME": "u"}, "KAFKA_SASL_MECHANISM", nil},
		{"a broker without a port", map[string]string{"KAFKA_BROKERS": "kafka"}, "KAFKA_BROKERS", nil},
		{"a bad duration", map[string]string{"KAFKA_DIAL_TIMEOUT": "soon"}, "KAFKA_DIAL_TIMEOUT", nil},
		{"a bad boolean", map[string]string{"KAFKA_TLS": "yes please"}, "KAFKA_TLS", nil},
		{"a missing CA file", map[string]string{"KAFKA_TLS_CA_FILE": filepath.Join(dir, "missing.pem")}, "KAFKA_TLS_CA_FILE", nil},
		{"both CA forms", map[string]string{"KAFKA_TLS_CA_FILE": ca, "KAFKA_TLS_CA_PEM": "x"}, "KAFKA_TLS_CA_PEM", nil},
		{"skipping the host name without TLS", map[string]string{"KAFKA_TLS_SKIP_HOSTNAME_CHECK": "true"}, "KAFKA_TLS_SKIP_HOSTNAME_CHECK", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fromEnv(t, tt.env, tt.wantErr, []string{tt.env["KAFKA_SASL_PASSWORD"]}, tt.check)
		})
	}
}

// fromEnv reads env; with wantErr it wants an error naming wantErr that echoes none of the
// (non-empty) secrets, otherwise it hands the config to check.
func fromEnv(t *testing.T, env map[string]string, wantErr string, secrets []string, check func(*testing.T, broker.Config)) {
	t.Helper()
	k, err := kafkaenv.FromEnv(func(name string) string { return env[name] })
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want one naming %s", err, wantErr)
		}
		for _, secret := range secrets {
			if secret != "" && strings.Contains(err.Error(), secret) {
				t.Errorf("the error echoes a secret: %v", err)
			}
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	check(t, k)
}

func TestRequireBrokers(t *testing.T) {
	k, err := kafkaenv.FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := kafkaenv.RequireBrokers(k); err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("err = %v", err)
	}
}

func TestKafkaSASLIdentities(t *testing.T) {
	lambda := map[string]string{"KAFKA_BROKERS": "b-1.msk.eu-west-1.amazonaws.com:9098", "KAFKA_SASL_MECHANISM": "aws_msk_iam",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "aws-s3cret", "AWS_SESSION_TOKEN": "tok"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	entra := map[string]string{"KAFKA_BROKERS": "ns.servicebus.windows.net:9093", "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
		"KAFKA_OAUTH_TOKEN_URL": "https://login.microsoftonline.com/tenant/oauth2/v2.0/token", "KAFKA_OAUTH_CLIENT_ID": "app",
		"KAFKA_OAUTH_CLIENT_SECRET": "oauth-s3cret", "KAFKA_OAUTH_SCOPE": "https://ns.servicebus.windows.net/.default"}
	msi := map[string]string{"KAFKA_BROKERS": "ns.servicebus.windows.net:9093", "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
		"KAFKA_OAUTH_MANAGED_IDENTITY": "true", "KAFKA_OAUTH_SCOPE": "https://ns.servicebus.windows.net/.default",
		"IDENTITY_ENDPOINT": "http://localhost:8081/msi/token", "IDENTITY_HEADER": "hdr"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, k broker.Config)
	}{
		{"AWS_MSK_IAM with Lambda's credentials implies TLS", lambda, "", func(t *testing.T, k broker.Config) {
			if k.SASLMechanism != broker.SASLAWSMSKIAM || !k.TLS || k.AWS.Region != "eu-west-1" || k.AWS.Getenv == nil || k.AWS.ContainerURI != "" {
				t.Errorf("%+v", k)
			}
		}},
		{"AWS_DEFAULT_REGION stands in for AWS_REGION", with(lambda, "AWS_REGION", "", "AWS_DEFAULT_REGION", "us-east-1"), "", func(t *testing.T, k broker.Config) {
			if k.AWS.Region != "us-east-1" {
				t.Errorf("region %q", k.AWS.Region)
			}
		}},
		{"the container credentials endpoint when no keys are set", with(lambda, "AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", "",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9001/2018-06-01/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "a"), "", func(t *testing.T, k broker.Config) {
			if k.AWS.ContainerURI == "" {
				t.Errorf("%+v", k.AWS)
			}
		}},
		{"AWS_MSK_IAM without a region", with(lambda, "AWS_REGION", ""), "AWS_REGION", nil},
		{"AWS_MSK_IAM without credentials", with(lambda, "AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", ""), "AWS_ACCESS_KEY_ID", nil},
		{"an access key without its secret", with(lambda, "AWS_SECRET_ACCESS_KEY", ""), "AWS_SECRET_ACCESS_KEY", nil},
		{"a container endpoint over http to another host", with(lambda, "AWS_ACCESS_KEY_ID", "", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.1/creds",
			"AWS_CONTAINER_AUTHORIZATION_TOKEN", "a"), "AWS_CONTAINER_CREDENTIALS_FULL_URI", nil},
		{"a container endpoint without its token", with(lambda, "AWS_ACCESS_KEY_ID", "", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9001/c"),
			"AWS_CONTAINER_AUTHORIZATION_TOKEN", nil},
		{"a user name with AWS_MSK_IAM", with(lambda, "KAFKA_SASL_USERNAME", "u"), "KAFKA_SASL_USERNAME", nil},
		{"OAUTHBEARER with Entra client credentials and extensions", with(entra, "KAFKA_OAUTH_EXTENSIONS", "logicalCluster=lkc-1, identityPoolId=pool-2"), "", func(t *testing.T, k broker.Config) {
			o := k.OAuth
			if !k.TLS || o.ClientSecret != "oauth-s3cret" || !slices.Equal(o.Scopes, []string{"https://ns.servicebus.windows.net/.default"}) ||
				!slices.Equal(o.ExtensionKeys(), []string{"identityPoolId", "logicalCluster"}) || o.Extensions["logicalCluster"] != "lkc-1" {
				t.Errorf("%+v", o)
			}
		}},
		{"a token endpoint over http", with(entra, "KAFKA_OAUTH_TOKEN_URL", "http://idp.example/token"), "KAFKA_OAUTH_TOKEN_URL", nil},
		{"OAUTHBEARER without a token source", with(entra, "KAFKA_OAUTH_TOKEN_URL", ""), "KAFKA_OAUTH_TOKEN_URL", nil},
		{"a client id without its secret", with(entra, "KAFKA_OAUTH_CLIENT_SECRET", ""), "KAFKA_OAUTH_CLIENT_SECRET", nil},
		{"an extension key that is not letters", with(entra, "KAFKA_OAUTH_EXTENSIONS", "logical_cluster=x"), "KAFKA_OAUTH_EXTENSIONS", nil},
		{"the reserved auth extension", with(entra, "KAFKA_OAUTH_EXTENSIONS", "auth=x"), "KAFKA_OAUTH_EXTENSIONS", nil},
		{"the managed identity: resource is the scope without /.default", msi, "", func(t *testing.T, k broker.Config) {
			if !k.OAuth.ManagedIdentity || k.OAuth.Resource() != "https://ns.servicebus.windows.net" || k.OAuth.Getenv("IDENTITY_HEADER") != "hdr" {
				t.Errorf("%+v", k.OAuth)
			}
		}},
		{"the managed identity where the platform gives none", with(msi, "IDENTITY_HEADER", ""), "IDENTITY_ENDPOINT", nil},
		{"the managed identity without a scope", with(msi, "KAFKA_OAUTH_SCOPE", ""), "KAFKA_OAUTH_SCOPE", nil},
		{"the managed identity and a client secret", with(msi, "KAFKA_OAUTH_CLIENT_SECRET", "x"), "KAFKA_OAUTH_MANAGED_IDENTITY", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fromEnv(t, tt.env, tt.wantErr, []string{"aws-s3cret", "oauth-s3cret", "hdr"}, tt.check)
		})
	}
}

func TestFromEnvReadsTheKafkaSection(t *testing.T) {
	env := map[string]string{"KAFKA_BROKERS": "a:9092,b:9093", "KAFKA_CLIENT_ID": "app"}
	c, err := kafkaenv.FromEnv(func(k string) string { return env[k] })
	if err != nil || len(c.Brokers) != 2 || c.Brokers[1] != "b:9093" || c.ClientID != "app" || c.IdleTimeout == 0 {
		t.Fatalf("FromEnv = %+v, %v", c, err)
	}
	if _, err := kafkaenv.FromEnv(func(k string) string { return map[string]string{"KAFKA_BROKERS": "nohost"}[k] }); err == nil {
		t.Fatal("FromEnv accepted KAFKA_BROKERS=nohost")
	}
}

// TestLayering keeps the direction of shared/config's arrows: the packages that own their
// settings (broker, httpio, auth, bearer, tc3, policy, entra, webhook, push, groups, datahub,
// embedded) import no config; config (linked by every binary) links no kafka-go, no kfake, no
// MSAL and no verifier.
func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	tests := []struct{ pkg, without string }{
		{"github.com/kafkafn/kafkafn/shared/broker", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/httpio", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/config", "github.com/segmentio/kafka-go"},
		{"github.com/kafkafn/kafkafn/shared/config", "github.com/AzureAD/microsoft-authentication-library-for-go"},
		{"github.com/kafkafn/kafkafn/shared/config", "github.com/twmb/franz-go"},
		{"github.com/kafkafn/kafkafn/shared/config", "github.com/kafkafn/kafkafn/shared/auth/bearer"},
		{"github.com/kafkafn/kafkafn/shared/auth/bearer", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/auth/tc3", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/auth/policy", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/auth/entra", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/webhook", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/push", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/groups", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/datahub", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/auth", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/broker/embedded", "github.com/kafkafn/kafkafn/shared/config"},
	}
	for _, tt := range tests {
		t.Run(tt.pkg+" does not depend on "+tt.without, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.pkg, err)
			}
			for _, d := range strings.Fields(string(out)) {
				if d == tt.without || strings.HasPrefix(d, tt.without+"/") {
					t.Errorf("depends on %s", d)
				}
			}
		})
	}
}
