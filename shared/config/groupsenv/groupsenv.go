// Package groupsenv fills groups.Config, the consumer-group window section
// (CONSUME_GROUP_RESET, CONSUME_TOKEN_*), from the environment. It is apart from config so
// that only the binaries with group windows (consume-window, all) link it.
package groupsenv

import (
	"time"

	"github.com/kafkafn/kafkafn/shared/config/envread"
	"github.com/kafkafn/kafkafn/shared/groups"
)

// FromEnv reads the consumer-group window settings.
func FromEnv(getenv func(string) string) (groups.Config, error) {
	r := envread.New(getenv)
	g := groups.Config{
		Reset:          r.Str("CONSUME_GROUP_RESET", groups.ResetEarliest),
		CommitTokenTTL: r.Duration("CONSUME_TOKEN_TTL", groups.DefaultCommitTokenTTL, time.Second, 7*24*time.Hour),
	}
	if g.Reset != groups.ResetEarliest && g.Reset != groups.ResetLatest {
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
