package push

import (
	"time"
)

// Sink kinds (Config.Sink, PULL_SINK).
const (
	SinkHTTP = "http" // NewHTTP: a signed JSON POST per batch
	SinkLog  = "log"  // NewLog: one JSON line per batch
)

// Config configures scheduled batch pulls: on each timer tick the consume-window function
// reads group windows of a topic and delivers them to a sink, committing after delivery.
// shared/config/pushenv fills it from PULL_*. Pulls are off (the function has no timer entry
// point) when Sink is empty, the default.
type Config struct {
	// Topic and Group are the defaults when the timer event's payload names none
	// (PULL_TOPIC, PULL_GROUP; default none).
	Topic string
	Group string
	// Sink is SinkHTTP or SinkLog (PULL_SINK; default "http" when PULL_SINK_URL is set, else
	// off).
	Sink string
	// SinkURL receives each batch as a signed JSON POST (PULL_SINK_URL, http or https; no
	// default, required for the http sink).
	SinkURL string
	// SinkSecret is the Standard Webhooks signing secret (PULL_SINK_SECRET, "whsec_"
	// followed by base64; the webhook package checks its form). Required for the http sink.
	SinkSecret string
	// SinkTimeout bounds one delivery attempt (PULL_SINK_TIMEOUT, default 10s).
	SinkTimeout time.Duration
	// BatchCount and BatchBytes cap one batch (PULL_BATCH_COUNT, default 500;
	// PULL_BATCH_BYTES, default 1 MiB).
	BatchCount int
	BatchBytes int64
	// Reset is the group reset policy for pulls (PULL_RESET, default CONSUME_GROUP_RESET's).
	Reset string
	// MaxDuration bounds one tick when the platform gives no deadline (Azure timers, local)
	// and also caps it when it does (PULL_MAX_DURATION, default 4m).
	MaxDuration time.Duration
	// DeadlineMargin is left free before the deadline: no batch starts, and no delivery
	// attempt runs, inside it; the commit of a delivered batch uses it (PULL_DEADLINE_MARGIN,
	// default 2s).
	DeadlineMargin time.Duration
}
