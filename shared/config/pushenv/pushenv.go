// Package pushenv fills push.Config, the scheduled-pull section (PULL_*), from the
// environment. It is apart from config so that only the binaries with scheduled pulls
// (consume-window, all) link it.
package pushenv

import (
	"net/url"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/config/envread"
	"github.com/kafkafn/kafkafn/shared/groups"
	"github.com/kafkafn/kafkafn/shared/push"
)

// FromEnv reads the scheduled-pull settings (PULL_*) into a push.Config. defaultReset is
// CONSUME_GROUP_RESET's value.
func FromEnv(getenv func(string) string, defaultReset string) (push.Config, error) {
	r := envread.New(getenv)
	p := push.Config{
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
		p.Sink = push.SinkHTTP
	}
	switch p.Sink {
	case "":
	case push.SinkLog:
	case push.SinkHTTP:
		if u, err := url.Parse(p.SinkURL); p.SinkURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.Fail("PULL_SINK_URL", "must be an absolute http or https URL for PULL_SINK=http")
		}
		if p.SinkSecret = strings.TrimSpace(r.Secret("PULL_SINK_SECRET")); p.SinkSecret == "" {
			r.Fail("PULL_SINK_SECRET", "is required for PULL_SINK=http (whsec_ followed by a base64 key)")
		}
	default:
		r.Fail("PULL_SINK", "must be http or log, got %q", p.Sink)
	}
	if p.Reset != groups.ResetEarliest && p.Reset != groups.ResetLatest {
		r.Fail("PULL_RESET", "must be earliest or latest, got %q", p.Reset)
	}
	if p.Sink != "" && p.DeadlineMargin >= p.MaxDuration {
		r.Fail("PULL_DEADLINE_MARGIN", "must be shorter than PULL_MAX_DURATION")
	}
	return p, r.Err()
}
