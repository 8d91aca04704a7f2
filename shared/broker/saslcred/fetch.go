package saslcred

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/singleflight"
)

// sharedFetch runs fetch once for every concurrent caller (one singleflight call), with its
// own timeout and detached from the cancellation of whichever caller started it, and waits
// for it or for ctx. Caching and the freshness policy stay with the caller.
func sharedFetch[T any](ctx context.Context, sf *singleflight.Group, timeout time.Duration, what string, fetch func(context.Context) (T, error)) (T, error) {
	ch := sf.DoChan(what, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		return fetch(fctx)
	})
	var zero T
	select {
	case <-ctx.Done():
		return zero, fmt.Errorf("no %s in time: %w", what, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return zero, r.Err
		}
		return r.Val.(T), nil
	}
}
