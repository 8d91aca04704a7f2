// Package embeddedenv fills embedded.Config, the local embedded broker's section
// (EMBEDDED_KAFKA_DIR), from the environment. It is apart from config because its owner,
// shared/broker/embedded, links kfake: only the all-routes binary, which starts that broker,
// links it.
package embeddedenv

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/broker/embedded"
)

// FromEnv reports whether a local run should start an embedded broker (only when
// KAFKA_BROKERS is not set) and where it keeps its data.
func FromEnv(getenv func(string) string) (embedded.Config, bool) {
	if strings.TrimSpace(getenv("KAFKA_BROKERS")) != "" {
		return embedded.Config{}, false
	}
	return embedded.Config{Dir: getenv("EMBEDDED_KAFKA_DIR")}, true
}
