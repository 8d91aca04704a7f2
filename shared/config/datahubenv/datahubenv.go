// Package ckafkaenv fills datahub.Config, the CKafka DataHub section (CKAFKA_DATAHUBS), from
// the environment. It is apart from config so that only the binaries that serve SendMessage
// (produce, all) link it.
package datahubenv

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/config/envread"
	"github.com/kafkafn/kafkafn/shared/datahub"
)

// FromEnv reads the CKafka section.
func FromEnv(getenv func(string) string) (datahub.Config, error) {
	const name = "CKAFKA_DATAHUBS"
	r := envread.New(getenv)
	var c datahub.Config
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
			c.DataHubs = map[string]datahub.Target{}
		}
		c.DataHubs[id] = datahub.Target{Topic: topic, Paused: paused}
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
