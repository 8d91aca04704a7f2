package token

import (
	"sync"
	"time"
)

// maxTracked bounds the number of client IDs with recorded failures.
const maxTracked = 10000

// throttle counts credential failures per client ID in fixed windows: after limit failures
// the client ID is blocked until its window ends. Credentials that have already obtained a
// token (entra.Source.Known) pass anyway, so an attacker guessing secrets for a client ID
// cannot lock its real owner out of a warm instance.
type throttle struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n     int
	start time.Time
}

func newThrottle(limit int, window time.Duration) *throttle {
	if limit <= 0 {
		limit = 5
	}
	if window <= 0 {
		window = time.Minute
	}
	return &throttle{limit: limit, window: window, now: time.Now, m: map[string]*failures{}}
}

// blocked reports whether id is blocked, and for how long still.
func (t *throttle) blocked(id string) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[id]
	if !ok {
		return 0, false
	}
	left := f.start.Add(t.window).Sub(t.now())
	if left <= 0 {
		delete(t.m, id)
		return 0, false
	}
	return left, f.n >= t.limit
}

// fail records a credential failure for id.
func (t *throttle) fail(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f, ok := t.m[id]
	if !ok || now.Sub(f.start) >= t.window {
		if !ok && len(t.m) >= maxTracked {
			t.sweep(now)
		}
		f = &failures{start: now}
		t.m[id] = f
	}
	f.n++
}

// reset forgets id's failures after a success.
func (t *throttle) reset(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, id)
}

// sweep drops expired entries, and if the map is still full, arbitrary ones, so memory stays
// bounded under a flood of random client IDs.
func (t *throttle) sweep(now time.Time) {
	for id, f := range t.m {
		if now.Sub(f.start) >= t.window {
			delete(t.m, id)
		}
	}
	for id := range t.m {
		if len(t.m) < maxTracked {
			break
		}
		delete(t.m, id)
	}
}
