package embedded

// Config configures the broker the all-routes binary starts for local development when no
// cluster is configured (KAFKA_BROKERS unset). shared/config/embeddedenv fills it.
type Config struct {
	// Dir (EMBEDDED_KAFKA_DIR) is where the broker keeps its log; default empty: in memory.
	Dir string
}
