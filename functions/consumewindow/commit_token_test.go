package consumewindow

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// In package consumewindow: the test edits commit tokens (commitToken) the way a caller
// edits an unsigned one.

// TestUnsignedCommitTokenLimits: without CONSUME_TOKEN_SECRET a commit token is plain JSON a
// caller can edit. An edited token must not move the group past the end of the log or
// stretch its own lifetime; nothing is committed either way.
func TestUnsignedCommitTokenLimits(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	SeedTimed(t, e, "events", 2, 6) // 3 records per partition
	token := func(issued time.Time, next ...int64) string {
		ct := &commitToken{V: commitTokenVersion, Group: "g", Topic: "events", Issued: issued.UnixMilli()}
		for p, n := range next {
			ct.Partitions = append(ct.Partitions, commitTokenOffset{Partition: p, Committed: -1, Next: n})
		}
		return ct.encode(nil)
	}
	now := time.Now()
	tests := []struct {
		name   string
		token  string
		status int
		code   string
	}{
		{"an offset past the partition's end is refused", token(now, 3, 1_000_000), 409, "offset_past_end"},
		{"one past the end is refused", token(now, 4, 3), 409, "offset_past_end"},
		{"an issue time an hour in the future is refused", token(now.Add(time.Hour), 1, 1), 400, "invalid_token"},
		{"an issue time two minutes in the future is refused", token(now.Add(2*time.Minute), 1, 1), 400, "invalid_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.Commit(t, "g", tc.token)
			if status != tc.status || ErrorCode(t, body) != tc.code {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.code)
			}
			l := e.Lag(t, "g")
			for _, p := range l.Partitions {
				if p.Committed != nil {
					t.Fatalf("partition %d was committed at %d", p.Partition, *p.Committed)
				}
			}
			if l.Lag != 6 {
				t.Fatalf("lag %d, want 6", l.Lag)
			}
		})
	}
	t.Run("the end offset itself and a few seconds of clock skew are accepted", func(t *testing.T) {
		status, body := e.Commit(t, "g", token(now.Add(5*time.Second), 3, 2))
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if l := e.Lag(t, "g"); l.Lag != 1 {
			t.Fatalf("lag %d, want 1: %+v", l.Lag, l)
		}
	})
}
