package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/config"
)

func env(m map[string]string) config.Getenv { return func(k string) string { return m[k] } }

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
		check   func(t *testing.T, k config.Kafka)
	}{
		{"defaults", map[string]string{"KAFKA_BROKERS": "a:9092, b:9093"}, "", func(t *testing.T, k config.Kafka) {
			if len(k.Brokers) != 2 || k.Brokers[1] != "b:9093" || k.ClientID != "kafkafn" || k.DialTimeout != 3*time.Second || k.MetadataTTL != time.Second {
				t.Errorf("%+v", k)
			}
		}},
		{"CKafka-style SASL PLAIN over TLS with a CA file", map[string]string{
			"KAFKA_BROKERS": "ckafka:50000", "KAFKA_SASL_MECHANISM": "plain", "KAFKA_SASL_USERNAME": "ckafka-abc#alice",
			"KAFKA_SASL_PASSWORD": " pass word ", "KAFKA_TLS_CA_FILE": ca, "KAFKA_TLS_SKIP_HOSTNAME_CHECK": "true",
		}, "", func(t *testing.T, k config.Kafka) {
			if k.SASLMechanism != "PLAIN" || k.SASLPassword != " pass word " || !k.TLS || !k.TLSSkipHostnameCheck || len(k.TLSCAPEM) == 0 {
				t.Errorf("%+v", k)
			}
		}},
		{"inline PEM with escaped newlines", map[string]string{"KAFKA_TLS_CA_PEM": `-----BEGIN CERTIFICATE-----\nAAA`}, "", func(t *testing.T, k config.Kafka) {
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
			k, err := config.KafkaFromEnv(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				if pw := tt.env["KAFKA_SASL_PASSWORD"]; pw != "" && strings.Contains(err.Error(), pw) {
					t.Errorf("the error echoes the password")
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

func TestRequireBrokers(t *testing.T) {
	k, err := config.KafkaFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.RequireBrokers(); err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("err = %v", err)
	}
}

func TestLimitsFromEnv(t *testing.T) {
	l, err := config.LimitsFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if l.MaxBodyBytes != 6<<20 || l.MaxRecords != 500 || l.ConsumeMaxBytes != 6<<20 {
		t.Errorf("defaults: %+v", l)
	}
	_, err = config.LimitsFromEnv(env(map[string]string{"PRODUCE_MAX_RECORDS": "0", "HTTP_MAX_BODY_BYTES": "lots"}))
	if err == nil || !strings.Contains(err.Error(), "PRODUCE_MAX_RECORDS") || !strings.Contains(err.Error(), "HTTP_MAX_BODY_BYTES") {
		t.Fatalf("err = %v, want both variables named", err)
	}
}

func TestEmbeddedKafkaFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
		dir  string
	}{
		{"no KAFKA_BROKERS starts an in-memory broker", map[string]string{}, true, ""},
		{"blank KAFKA_BROKERS counts as unset", map[string]string{"KAFKA_BROKERS": "  ", "EMBEDDED_KAFKA_DIR": "/tmp/k"}, true, "/tmp/k"},
		{"a configured cluster starts none", map[string]string{"KAFKA_BROKERS": "b:9092", "EMBEDDED_KAFKA_DIR": "/tmp/k"}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := config.EmbeddedKafkaFromEnv(func(k string) string { return tc.env[k] })
			if ok != tc.want || got.Dir != tc.dir {
				t.Fatalf("got %+v, %v", got, ok)
			}
		})
	}
}
