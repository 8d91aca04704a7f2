// Package groups owns the settings of kafkafn's stateless consumer-group windows: the reset
// policy and the commit token's signing key and lifetime. functions/consumewindow serves the
// windows with them; scheduled pulls (shared/push) take the reset policy as their default.
// shared/config/groupsenv fills Config from CONSUME_GROUP_* and CONSUME_TOKEN_*.
package groups

import "time"

// Group reset policies (CONSUME_GROUP_RESET, PULL_RESET and ?reset=): where a consumer group
// with no usable commit starts reading.
const (
	ResetEarliest = "earliest"
	ResetLatest   = "latest"
)

// DefaultCommitTokenTTL is CONSUME_TOKEN_TTL's default.
const DefaultCommitTokenTTL = time.Hour

// Config configures stateless consumer-group windows. The zero value means the defaults.
type Config struct {
	// Reset is the start for a group with no commit on a partition, or whose commit points
	// before the log start (records deleted): "earliest" (default) or "latest"
	// (CONSUME_GROUP_RESET). Requests may override it with ?reset=.
	Reset string
	// CommitTokenSecret, when set, signs commit tokens with HMAC-SHA256 so that a client cannot
	// alter the offsets it commits (CONSUME_TOKEN_SECRET, at least 16 bytes). Every instance of
	// a deployment must share it. Empty (default): tokens are validated strictly but not signed.
	CommitTokenSecret []byte
	// CommitTokenTTL is how long a commit token stays valid (CONSUME_TOKEN_TTL, default
	// DefaultCommitTokenTTL, 1h).
	CommitTokenTTL time.Duration
}
