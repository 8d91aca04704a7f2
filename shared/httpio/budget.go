package httpio

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/config"
)

// Option configures Serve.
type Option func(*serveOptions)

type serveOptions struct {
	budget *bodyBudget
	ops    opsOptions // ops.go
}

// WithBodyBudget bounds the request bodies in flight at once to limits.MaxInflightBytes, so
// a burst of large requests cannot take the process's memory: a request waits for room (at
// most limits.RequestTimeout, and never past its own deadline) and is refused with a
// retryable 503 when none frees up. A body of unknown length counts as MaxBodyBytes.
// Requests without a body do not wait.
func WithBodyBudget(limits config.Limits) Option {
	return func(o *serveOptions) {
		if limits.MaxInflightBytes <= 0 {
			return
		}
		o.budget = &bodyBudget{
			sem:     semaphore.NewWeighted(limits.MaxInflightBytes),
			total:   limits.MaxInflightBytes,
			maxBody: limits.MaxBodyBytes,
			wait:    limits.RequestTimeout,
		}
	}
}

type bodyBudget struct {
	sem     *semaphore.Weighted
	total   int64
	maxBody int64
	wait    time.Duration
}

// weight is what r's body may take, or 0 when it takes nothing from the budget.
func (b *bodyBudget) weight(r *http.Request) int64 {
	switch {
	case r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0:
		return 0
	case r.ContentLength > b.maxBody:
		return 0 // refused with 413 before it is read
	case r.ContentLength < 0:
		return min(b.maxBody, b.total)
	default:
		return min(r.ContentLength, b.total)
	}
}

// admit waits for room for r's body and returns the release function.
func (b *bodyBudget) admit(r *http.Request) (func(), error) {
	n := b.weight(r)
	if n == 0 {
		return func() {}, nil
	}
	if b.sem.TryAcquire(n) {
		return func() { b.sem.Release(n) }, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), b.wait)
	defer cancel()
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, apierr.Wrap(apierr.Unavailable, "server_busy",
			"too many request bytes in flight ("+strconv.FormatInt(b.total, 10)+" allowed, HTTP_MAX_INFLIGHT_BYTES); retry", err)
	}
	return func() { b.sem.Release(n) }, nil
}
