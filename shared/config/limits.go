package config

import (
	"time"

	"github.com/kafkafn/kafkafn/shared/config/envread"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// LimitsFromEnv reads the request limits (httpio owns the type; its fields name their
// variables and defaults).
func LimitsFromEnv(getenv Getenv) (httpio.Limits, error) {
	r := envread.New(getenv)
	l := httpio.Limits{
		MaxBodyBytes:    r.Integer("HTTP_MAX_BODY_BYTES", 6<<20, 1<<10, 100<<20),
		MaxRecords:      int(r.Integer("PRODUCE_MAX_RECORDS", 500, 1, 100000)),
		ConsumeMaxBytes: r.Integer("CONSUME_MAX_BYTES", 6<<20, 1<<10, 100<<20),
		ConsumeMaxCount: int(r.Integer("CONSUME_MAX_COUNT", 10000, 1, 1000000)),
		RequestTimeout:  r.Duration("REQUEST_TIMEOUT", httpio.DefaultRequestTimeout, 100*time.Millisecond, 15*time.Minute),
		DeadlineMargin:  r.Duration("DEADLINE_MARGIN", 500*time.Millisecond, 0, time.Minute),
		BodyTimeout:     r.Duration("HTTP_BODY_TIMEOUT", 20*time.Second, 100*time.Millisecond, 15*time.Minute),
	}
	l.MaxInflightBytes = r.Integer("HTTP_MAX_INFLIGHT_BYTES", max(16<<20, l.MaxBodyBytes), 0, 1<<40)
	if l.MaxInflightBytes != 0 && l.MaxInflightBytes < l.MaxBodyBytes {
		r.Fail("HTTP_MAX_INFLIGHT_BYTES", "must be 0 (off) or at least HTTP_MAX_BODY_BYTES (%d), got %d", l.MaxBodyBytes, l.MaxInflightBytes)
	}
	if l.MaxInflightBytes != 0 {
		l.MaxInflightUnauthBytes = r.Integer("HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES",
			min(max(l.MaxInflightBytes/4, l.MaxBodyBytes), l.MaxInflightBytes), 0, 1<<40)
		if l.MaxInflightUnauthBytes < l.MaxBodyBytes || l.MaxInflightUnauthBytes > l.MaxInflightBytes {
			r.Fail("HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES", "must be between HTTP_MAX_BODY_BYTES (%d) and HTTP_MAX_INFLIGHT_BYTES (%d), got %d",
				l.MaxBodyBytes, l.MaxInflightBytes, l.MaxInflightUnauthBytes)
		}
	}
	l.MaxInflightResponseBytes = r.Integer("HTTP_MAX_INFLIGHT_RESPONSE_BYTES", max(32<<20, l.ConsumeMaxBytes), 0, 1<<40)
	if l.MaxInflightResponseBytes != 0 && l.MaxInflightResponseBytes < l.ConsumeMaxBytes {
		r.Fail("HTTP_MAX_INFLIGHT_RESPONSE_BYTES", "must be 0 (off) or at least CONSUME_MAX_BYTES (%d), got %d", l.ConsumeMaxBytes, l.MaxInflightResponseBytes)
	}
	return l, r.Err()
}
