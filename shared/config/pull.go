package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
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
	r := envread.New(getenv)
	g := Groups{
		Reset:          r.Str("CONSUME_GROUP_RESET", ResetEarliest),
		CommitTokenTTL: r.Duration("CONSUME_TOKEN_TTL", DefaultCommitTokenTTL, time.Second, 7*24*time.Hour),
	}
	if g.Reset != ResetEarliest && g.Reset != ResetLatest {
		r.Fail("CONSUME_GROUP_RESET", "must be earliest or latest, got %q", g.Reset)
	}
	if s := r.Secret("CONSUME_TOKEN_SECRET"); s != "" {
		if len(s) < 16 {
			r.Fail("CONSUME_TOKEN_SECRET", "must be at least 16 bytes long")
		}
		g.CommitTokenSecret = []byte(s)
	}
	return g, r.Err()
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
	r := envread.New(getenv)
	p := Pull{
		Topic:          r.Str("PULL_TOPIC", ""),
		Group:          r.Str("PULL_GROUP", ""),
		Sink:           strings.ToLower(r.Str("PULL_SINK", "")),
		SinkURL:        r.Str("PULL_SINK_URL", ""),
		SinkTimeout:    r.Duration("PULL_SINK_TIMEOUT", 10*time.Second, 100*time.Millisecond, 5*time.Minute),
		BatchCount:     int(r.Integer("PULL_BATCH_COUNT", 500, 1, 100000)),
		BatchBytes:     r.Integer("PULL_BATCH_BYTES", 1<<20, 1<<10, 100<<20),
		Reset:          r.Str("PULL_RESET", defaultReset),
		MaxDuration:    r.Duration("PULL_MAX_DURATION", 4*time.Minute, time.Second, 15*time.Minute),
		DeadlineMargin: r.Duration("PULL_DEADLINE_MARGIN", 2*time.Second, 0, time.Minute),
	}
	if p.Sink == "" && p.SinkURL != "" {
		p.Sink = SinkHTTP
	}
	switch p.Sink {
	case "":
	case SinkLog:
	case SinkHTTP:
		if u, err := url.Parse(p.SinkURL); p.SinkURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.Fail("PULL_SINK_URL", "must be an absolute http or https URL for PULL_SINK=http")
		}
		if p.SinkSecret = strings.TrimSpace(r.Secret("PULL_SINK_SECRET")); p.SinkSecret == "" {
			r.Fail("PULL_SINK_SECRET", "is required for PULL_SINK=http (whsec_ followed by a base64 key)")
		}
	default:
		r.Fail("PULL_SINK", "must be http or log, got %q", p.Sink)
	}
	if p.Reset != ResetEarliest && p.Reset != ResetLatest {
		r.Fail("PULL_RESET", "must be earliest or latest, got %q", p.Reset)
	}
	if p.Sink != "" && p.DeadlineMargin >= p.MaxDuration {
		r.Fail("PULL_DEADLINE_MARGIN", "must be shorter than PULL_MAX_DURATION")
	}
	return p, r.Err()
}
