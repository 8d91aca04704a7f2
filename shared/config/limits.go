package config

import (
	"fmt"
	"time"
)

func errorf(name, format string, args ...any) error {
	return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
}

// Limits bound what one request may ask for.
type Limits struct {
	// MaxBodyBytes caps request bodies (HTTP_MAX_BODY_BYTES, default 6 MiB).
	MaxBodyBytes int64
	// MaxRecords caps records per produce request (PRODUCE_MAX_RECORDS, default 500).
	MaxRecords int
	// ConsumeMaxBytes caps the record data in one consume response (CONSUME_MAX_BYTES, default 6 MiB).
	ConsumeMaxBytes int64
	// ConsumeMaxCount caps count on consume (CONSUME_MAX_COUNT, default 10000).
	ConsumeMaxCount int
	// RequestTimeout bounds one request when the platform gives no deadline (REQUEST_TIMEOUT,
	// default 25s; Azure's front end gives up at 230 s).
	RequestTimeout time.Duration
	// MaxInflightBytes bounds the request bodies being handled at once; more wait, then 503
	// (HTTP_MAX_INFLIGHT_BYTES, default 16 MiB; at least HTTP_MAX_BODY_BYTES; 0 turns it off).
	MaxInflightBytes int64
	// MaxInflightUnauthBytes is the share of MaxInflightBytes that bodies read before their
	// caller is authenticated may hold (webhooks and TC3 sign the body itself), so such
	// callers cannot take the budget of bearer-authenticated ones
	// (HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES, default a quarter of HTTP_MAX_INFLIGHT_BYTES
	// and at least HTTP_MAX_BODY_BYTES; between HTTP_MAX_BODY_BYTES and HTTP_MAX_INFLIGHT_BYTES).
	MaxInflightUnauthBytes int64
	// BodyTimeout bounds the time a request body may take to arrive once the server starts
	// reading it; a slower body is answered 408 and its connection closed (HTTP_BODY_TIMEOUT,
	// default 20s).
	BodyTimeout time.Duration
	// MaxInflightResponseBytes bounds the record data held for answers at once (reads); a read
	// that cannot get room in time is a retryable 503 (HTTP_MAX_INFLIGHT_RESPONSE_BYTES, default
	// 32 MiB; at least CONSUME_MAX_BYTES; 0 turns it off).
	MaxInflightResponseBytes int64
	// DeadlineMargin is kept free before the platform deadline to answer (DEADLINE_MARGIN, default 500ms).
	DeadlineMargin time.Duration
}

// DefaultRequestTimeout is REQUEST_TIMEOUT's default.
const DefaultRequestTimeout = 25 * time.Second

// LimitsFromEnv reads the request limits.
func LimitsFromEnv(getenv Getenv) (Limits, error) {
	r := &reader{getenv: getenv}
	l := Limits{
		MaxBodyBytes:    r.integer("HTTP_MAX_BODY_BYTES", 6<<20, 1<<10, 100<<20),
		MaxRecords:      int(r.integer("PRODUCE_MAX_RECORDS", 500, 1, 100000)),
		ConsumeMaxBytes: r.integer("CONSUME_MAX_BYTES", 6<<20, 1<<10, 100<<20),
		ConsumeMaxCount: int(r.integer("CONSUME_MAX_COUNT", 10000, 1, 1000000)),
		RequestTimeout:  r.duration("REQUEST_TIMEOUT", DefaultRequestTimeout, 100*time.Millisecond, 15*time.Minute),
		DeadlineMargin:  r.duration("DEADLINE_MARGIN", 500*time.Millisecond, 0, time.Minute),
		BodyTimeout:     r.duration("HTTP_BODY_TIMEOUT", 20*time.Second, 100*time.Millisecond, 15*time.Minute),
	}
	l.MaxInflightBytes = r.integer("HTTP_MAX_INFLIGHT_BYTES", max(16<<20, l.MaxBodyBytes), 0, 1<<40)
	if l.MaxInflightBytes != 0 && l.MaxInflightBytes < l.MaxBodyBytes {
		r.fail("HTTP_MAX_INFLIGHT_BYTES", "must be 0 (off) or at least HTTP_MAX_BODY_BYTES (%d), got %d", l.MaxBodyBytes, l.MaxInflightBytes)
	}
	if l.MaxInflightBytes != 0 {
		l.MaxInflightUnauthBytes = r.integer("HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES",
			min(max(l.MaxInflightBytes/4, l.MaxBodyBytes), l.MaxInflightBytes), 0, 1<<40)
		if l.MaxInflightUnauthBytes < l.MaxBodyBytes || l.MaxInflightUnauthBytes > l.MaxInflightBytes {
			r.fail("HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES", "must be between HTTP_MAX_BODY_BYTES (%d) and HTTP_MAX_INFLIGHT_BYTES (%d), got %d",
				l.MaxBodyBytes, l.MaxInflightBytes, l.MaxInflightUnauthBytes)
		}
	}
	l.MaxInflightResponseBytes = r.integer("HTTP_MAX_INFLIGHT_RESPONSE_BYTES", max(32<<20, l.ConsumeMaxBytes), 0, 1<<40)
	if l.MaxInflightResponseBytes != 0 && l.MaxInflightResponseBytes < l.ConsumeMaxBytes {
		r.fail("HTTP_MAX_INFLIGHT_RESPONSE_BYTES", "must be 0 (off) or at least CONSUME_MAX_BYTES (%d), got %d", l.ConsumeMaxBytes, l.MaxInflightResponseBytes)
	}
	return l, r.err()
}
