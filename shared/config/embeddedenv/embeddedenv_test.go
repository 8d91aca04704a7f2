package embeddedenv_test

import (
	"testing"

	"github.com/kafkafn/kafkafn/shared/config/embeddedenv"
)

func TestFromEnv(t *testing.T) {
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
			got, ok := embeddedenv.FromEnv(func(k string) string { return tc.env[k] })
			if ok != tc.want || got.Dir != tc.dir {
				t.Fatalf("got %+v, %v", got, ok)
			}
		})
	}
}
