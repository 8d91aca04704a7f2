package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config"
)

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
		check   func(t *testing.T, k config.Kafka)
	}{
		{"AWS_MSK_IAM with Lambda's credentials implies TLS", lambda, "", func(t *testing.T, k config.Kafka) {
			if k.SASLMechanism != config.SASLAWSMSKIAM || !k.TLS || k.AWS.Region != "eu-west-1" || k.AWS.Getenv == nil || k.AWS.ContainerURI != "" {
				t.Errorf("%+v", k)
			}
		}},
		{"AWS_DEFAULT_REGION stands in for AWS_REGION", with(lambda, "AWS_REGION", "", "AWS_DEFAULT_REGION", "us-east-1"), "", func(t *testing.T, k config.Kafka) {
			if k.AWS.Region != "us-east-1" {
				t.Errorf("region %q", k.AWS.Region)
			}
		}},
		{"the container credentials endpoint when no keys are set", with(lambda, "AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", "",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9001/2018-06-01/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "a"), "", func(t *testing.T, k config.Kafka) {
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
		{"OAUTHBEARER with Entra client credentials and extensions", with(entra, "KAFKA_OAUTH_EXTENSIONS", "logicalCluster=lkc-1, identityPoolId=pool-2"), "", func(t *testing.T, k config.Kafka) {
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
		{"the managed identity: resource is the scope without /.default", msi, "", func(t *testing.T, k config.Kafka) {
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
			k, err := config.KafkaFromEnv(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				for _, secret := range []string{"aws-s3cret", "oauth-s3cret", "hdr"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error echoes a secret: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, k)
		})
	}
}
