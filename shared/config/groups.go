package config

import (
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
