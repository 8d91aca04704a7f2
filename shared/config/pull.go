package config

import (
	"net/url"
	"strings"
	"time"
)

// Group reset policies (CONSUME_GROUP_RESET, PULL_RESET and ?reset=): where a consumer group
// with no usable commit starts reading.
const (
	ResetEarliest = "earliest"
	ResetLatest   = "latest"
)

// DefaultCommitTokenTTL is CONSUME_TOKEN_TTL's default.
const DefaultCommitTokenTTL = time.Hour

// Groups configures stateless consumer-group windows. The zero value means the defaults.
type Groups struct {
	// Reset is the start for a group with no commit on a partition, or whose commit points
	// before the log start (records deleted): "earliest" (default) or "latest"
	// (CONSUME_GROUP_RESET). Requests may override it with ?reset=.
	Reset string
	// CommitTokenSecret, when set, signs commit tokens with HMAC-SHA256 so that a client cannot
	// alter the offsets it commits (CONSUME_TOKEN_SECRET, at least 16 bytes). Every instance of
	// a deployment must share it. Empty: tokens are validated strictly but not signed.
	CommitTokenSecret []byte
	// CommitTokenTTL is how long a commit token stays valid (CONSUME_TOKEN_TTL, default 1h).
	CommitTokenTTL time.Duration
}

// GroupsFromEnv reads the consumer-group window settings.
func GroupsFromEnv(getenv Getenv) (Groups, error) {
	r := &reader{getenv: getenv}
	g := Groups{
		Reset:          r.str("CONSUME_GROUP_RESET", ResetEarliest),
		CommitTokenTTL: r.duration("CONSUME_TOKEN_TTL", DefaultCommitTokenTTL, time.Second, 7*24*time.Hour),
	}
	if g.Reset != ResetEarliest && g.Reset != ResetLatest {
		r.fail("CONSUME_GROUP_RESET", "must be earliest or latest, got %q", g.Reset)
	}
	if s := r.secret("CONSUME_TOKEN_SECRET"); s != "" {
		if len(s) < 16 {
			r.fail("CONSUME_TOKEN_SECRET", "must be at least 16 bytes long")
		}
		g.CommitTokenSecret = []byte(s)
	}
	return g, r.err()
}

// Pull sink kinds (PULL_SINK).
const (
	SinkHTTP = "http"
	SinkLog  = "log"
)

// Pull configures scheduled batch pulls: on each timer tick the consume-window function
// reads group windows of a topic and delivers them to a sink, committing after delivery.
// Pulls are off (the function has no timer entry point) when Sink is empty.
type Pull struct {
	// Topic and Group are the defaults when the timer event's payload names none
	// (PULL_TOPIC, PULL_GROUP).
	Topic string
	Group string
	// Sink is "http" or "log" (PULL_SINK; default "http" when PULL_SINK_URL is set, else off).
	Sink string
	// SinkURL receives each batch as a signed JSON POST (PULL_SINK_URL, http or https).
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

// PullFromEnv reads the scheduled-pull settings. defaultReset is CONSUME_GROUP_RESET's value.
func PullFromEnv(getenv Getenv, defaultReset string) (Pull, error) {
	r := &reader{getenv: getenv}
	p := Pull{
		Topic:          r.str("PULL_TOPIC", ""),
		Group:          r.str("PULL_GROUP", ""),
		Sink:           strings.ToLower(r.str("PULL_SINK", "")),
		SinkURL:        r.str("PULL_SINK_URL", ""),
		SinkTimeout:    r.duration("PULL_SINK_TIMEOUT", 10*time.Second, 100*time.Millisecond, 5*time.Minute),
		BatchCount:     int(r.integer("PULL_BATCH_COUNT", 500, 1, 100000)),
		BatchBytes:     r.integer("PULL_BATCH_BYTES", 1<<20, 1<<10, 100<<20),
		Reset:          r.str("PULL_RESET", defaultReset),
		MaxDuration:    r.duration("PULL_MAX_DURATION", 4*time.Minute, time.Second, 15*time.Minute),
		DeadlineMargin: r.duration("PULL_DEADLINE_MARGIN", 2*time.Second, 0, time.Minute),
	}
	if p.Sink == "" && p.SinkURL != "" {
		p.Sink = SinkHTTP
	}
	switch p.Sink {
	case "":
	case SinkLog:
	case SinkHTTP:
		if u, err := url.Parse(p.SinkURL); p.SinkURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.fail("PULL_SINK_URL", "must be an absolute http or https URL for PULL_SINK=http")
		}
		if p.SinkSecret = strings.TrimSpace(r.secret("PULL_SINK_SECRET")); p.SinkSecret == "" {
			r.fail("PULL_SINK_SECRET", "is required for PULL_SINK=http (whsec_ followed by a base64 key)")
		}
	default:
		r.fail("PULL_SINK", "must be http or log, got %q", p.Sink)
	}
	if p.Reset != ResetEarliest && p.Reset != ResetLatest {
		r.fail("PULL_RESET", "must be earliest or latest, got %q", p.Reset)
	}
	if p.Sink != "" && p.DeadlineMargin >= p.MaxDuration {
		r.fail("PULL_DEADLINE_MARGIN", "must be shorter than PULL_MAX_DURATION")
	}
	return p, r.err()
}
