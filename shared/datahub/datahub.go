// Package datahub owns the settings of the Tencent CKafka DataHub SendMessage action that
// functions/produce serves: which DataHubId writes to which Kafka topic.
// shared/config/datahubenv fills Config from CKAFKA_DATAHUBS.
package datahub

// Config configures the Tencent CKafka DataHub SendMessage action. The zero value (no
// DataHub, the default) turns the action off: every DataHubId is unknown.
type Config struct {
	// DataHubs (CKAFKA_DATAHUBS) maps each DataHubId to its Kafka topic: comma-separated
	// datahub-id=topic pairs; a pair ending in :paused answers FailedOperation
	// ("task status suspended"), like a paused DataHub task.
	DataHubs map[string]Target
}

// Target is one DataHub: the topic SendMessage writes its messages to.
type Target struct {
	Topic  string
	Paused bool // the pair ended in :paused; default false
}

// Enabled reports whether any DataHub is configured.
func (c Config) Enabled() bool { return len(c.DataHubs) > 0 }
