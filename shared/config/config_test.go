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
