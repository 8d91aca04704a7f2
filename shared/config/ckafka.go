package config

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
)

// CKafka configures the Tencent CKafka DataHub SendMessage action.
type CKafka struct {
	// DataHubs (CKAFKA_DATAHUBS) maps each DataHubId to its Kafka topic: comma-separated
	// datahub-id=topic pairs; a pair ending in :paused answers FailedOperation
	// ("task status suspended"), like a paused DataHub task.
	DataHubs map[string]DataHub
}

// DataHub is one SendMessage target.
type DataHub struct {
	Topic  string
	Paused bool
}

// Enabled reports whether any DataHub is configured.
func (c CKafka) Enabled() bool { return len(c.DataHubs) > 0 }

// CKafkaFromEnv reads the CKafka section.
func CKafkaFromEnv(getenv Getenv) (CKafka, error) {
	const name = "CKAFKA_DATAHUBS"
	r := envread.New(getenv)
	var c CKafka
	for i, e := range r.List(name) {
		id, topic, ok := strings.Cut(e, "=")
		id, topic = strings.TrimSpace(id), strings.TrimSpace(topic)
		topic, paused := strings.CutSuffix(topic, ":paused")
		switch {
		case !ok || id == "" || topic == "":
			r.Fail(name, "entry %d (%q) must be datahub-id=topic or datahub-id=topic:paused", i+1, e)
			continue
		case !isDataHubID(id):
			r.Fail(name, "entry %d: %q is not a DataHubId (letters, digits, '-' and '_')", i+1, id)
			continue
		case !isTopicName(topic):
			r.Fail(name, "entry %d: %q is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)", i+1, topic)
			continue
		}
		if _, dup := c.DataHubs[id]; dup {
			r.Fail(name, "DataHubId %s is listed twice", id)
			continue
		}
		if c.DataHubs == nil {
			c.DataHubs = map[string]DataHub{}
		}
		c.DataHubs[id] = DataHub{Topic: topic, Paused: paused}
	}
	return c, r.Err()
}

func isDataHubID(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isTopicName reports whether s is a legal Kafka topic name.
func isTopicName(s string) bool {
	if s == "" || len(s) > 249 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
