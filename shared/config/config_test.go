package config_test

import (
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config"
)

func env(m map[string]string) config.Getenv { return func(k string) string { return m[k] } }

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
