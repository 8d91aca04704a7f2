package bearer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/auth/entratest"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestStore(t *testing.T, srv *entratest.Server) (*keyStore, *clock) {
	t.Helper()
	base := srv.URL + "/" + srv.Tenant
	s := newKeyStore([]string{base + "/discovery/v2.0/keys", base + "/discovery/keys"}, srv.Client(),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := &clock{t: time.Now()}
	s.now = c.now
	return s, c
}

func TestKeyStore(t *testing.T) {
	ctx := context.Background()
	t.Run("a stale set answers at once and is refreshed in the background", func(t *testing.T) {
		srv := entratest.New(t)
		s, c := newTestStore(t, srv)
		kid, _ := srv.Key()
		if _, err := s.KeyRead(ctx, kid); err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		first := s.fetchedAt
		s.mu.Unlock()
		c.add(keysMaxAge + time.Minute)
		if _, err := s.KeyRead(ctx, kid); err != nil {
			t.Fatalf("stale read: %v", err)
		}
		<-s.startRefresh(ctx) // join the background refresh (or run one more)
		s.mu.Lock()
		refreshed := s.fetchedAt.After(first)
		s.mu.Unlock()
		if !refreshed {
			t.Fatal("the stale set was not refreshed")
		}
	})
	t.Run("after a failed fetch no new fetch is tried within the backoff", func(t *testing.T) {
		srv := entratest.New(t)
		srv.SetDown(true)
		s, c := newTestStore(t, srv)
		kid, _ := srv.Key()
		if _, err := s.KeyRead(ctx, kid); !errors.Is(err, errKeysUnavailable) {
			t.Fatalf("err = %v, want errKeysUnavailable", err)
		}
		calls := srv.KeysCalls()
		if _, err := s.KeyRead(ctx, kid); !errors.Is(err, errKeysUnavailable) || srv.KeysCalls() != calls {
			t.Fatalf("within backoff: err %v, calls %d → %d", err, calls, srv.KeysCalls())
		}
		srv.SetDown(false)
		c.add(keysFailBackoff + time.Second)
		if _, err := s.KeyRead(ctx, kid); err != nil {
			t.Fatalf("after backoff: %v", err)
		}
	})
	t.Run("one usable key-set URL is enough", func(t *testing.T) {
		srv := entratest.New(t)
		base := srv.URL + "/" + srv.Tenant
		s := newKeyStore([]string{base + "/no-such-path", base + "/discovery/keys"}, srv.Client(),
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		kid, _ := srv.Key()
		if _, err := s.KeyRead(ctx, kid); err != nil {
			t.Fatal(err)
		}
	})
}
