package config

import (
	"strings"
)

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
