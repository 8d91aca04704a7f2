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
	// DeadlineMargin is kept free before the platform deadline to answer (DEADLINE_MARGIN, default 500ms).
	DeadlineMargin time.Duration
}

// LimitsFromEnv reads the request limits.
func LimitsFromEnv(getenv Getenv) (Limits, error) {
	r := &reader{getenv: getenv}
	l := Limits{
		MaxBodyBytes:    r.integer("HTTP_MAX_BODY_BYTES", 6<<20, 1<<10, 100<<20),
		MaxRecords:      int(r.integer("PRODUCE_MAX_RECORDS", 500, 1, 100000)),
		ConsumeMaxBytes: r.integer("CONSUME_MAX_BYTES", 6<<20, 1<<10, 100<<20),
		ConsumeMaxCount: int(r.integer("CONSUME_MAX_COUNT", 10000, 1, 1000000)),
		RequestTimeout:  r.duration("REQUEST_TIMEOUT", 25*time.Second, 100*time.Millisecond, 15*time.Minute),
		DeadlineMargin:  r.duration("DEADLINE_MARGIN", 500*time.Millisecond, 0, time.Minute),
	}
	l.MaxInflightBytes = r.integer("HTTP_MAX_INFLIGHT_BYTES", max(16<<20, l.MaxBodyBytes), 0, 1<<40)
	if l.MaxInflightBytes != 0 && l.MaxInflightBytes < l.MaxBodyBytes {
		r.fail("HTTP_MAX_INFLIGHT_BYTES", "must be 0 (off) or at least HTTP_MAX_BODY_BYTES (%d), got %d", l.MaxBodyBytes, l.MaxInflightBytes)
	}
	return l, r.err()
}
