package consumewindow_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/shared/broker"
)

func TestGroupWindowReadCommitRead(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	consumewindow.SeedTimed(t, e, "events", 2, 10)

	if l := e.Lag(t, "billing"); l.Lag != 10 || l.Partitions[0].Committed != nil {
		t.Fatalf("lag before any commit: %+v", l)
	}
	w1 := e.GroupWindow(t, "billing", "count=4")
	if got := consumewindow.Values(w1.Records); !slices.Equal(got, consumewindow.Vals(0, 4)) || w1.CaughtUp || w1.Committed {
		t.Fatalf("first window %v caughtUp=%v", got, w1.CaughtUp)
	}
	t.Run("reading again without a commit returns the same records", func(t *testing.T) {
		again := e.GroupWindow(t, "billing", "count=4")
		if !slices.Equal(consumewindow.Values(again.Records), consumewindow.Values(w1.Records)) {
			t.Fatalf("got %v", consumewindow.Values(again.Records))
		}
	})
	t.Run("the commit stores exactly the delivered offsets", func(t *testing.T) {
		status, body := e.Commit(t, "billing", w1.CommitToken)
		var out consumewindow.CommitResponse
		consumewindow.Decode(t, status, body, &out)
		want := []consumewindow.PartitionOffset{{Partition: 0, Offset: 2}, {Partition: 1, Offset: 2}}
		if !slices.Equal(out.Committed, want) {
			t.Fatalf("committed %+v, want %+v", out.Committed, want)
		}
		if c := e.Committed(t, "billing", "events", 2); c[0] != 2 || c[1] != 2 {
			t.Fatalf("broker says %v", c)
		}
	})
	t.Run("committing the same token again succeeds and changes nothing", func(t *testing.T) {
		status, body := e.Commit(t, "billing", w1.CommitToken)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("lag reports committed, end and lag per partition", func(t *testing.T) {
		l := e.Lag(t, "billing")
		if l.Lag != 6 || *l.Partitions[0].Committed != 2 || l.Partitions[0].EndOffset != 5 || l.Partitions[0].Lag != 3 {
			t.Fatalf("lag %+v", l)
		}
	})
	t.Run("the next window continues after the commit until caught up", func(t *testing.T) {
		w2 := e.GroupWindow(t, "billing", "count=100")
		if got := consumewindow.Values(w2.Records); !slices.Equal(got, consumewindow.Vals(4, 10)) || !w2.CaughtUp {
			t.Fatalf("second window %v caughtUp=%v", got, w2.CaughtUp)
		}
		if status, body := e.Commit(t, "billing", w2.CommitToken); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if l := e.Lag(t, "billing"); l.Lag != 0 {
			t.Fatalf("lag after catching up %+v", l)
		}
		w3 := e.GroupWindow(t, "billing", "")
		if len(w3.Records) != 0 || !w3.CaughtUp {
			t.Fatalf("third window %+v", w3)
		}
	})
	t.Run("another group has its own position", func(t *testing.T) {
		w := e.GroupWindow(t, "audit", "count=3")
		if got := consumewindow.Values(w.Records); !slices.Equal(got, consumewindow.Vals(0, 3)) {
			t.Fatalf("got %v", got)
		}
	})
}

func TestGroupCommitRace(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	consumewindow.SeedTimed(t, e, "events", 1, 10)
	// Two readers take the same window; then one reads further and commits.
	a := e.GroupWindow(t, "g", "count=3")
	b := e.GroupWindow(t, "g", "count=5")
	if status, body := e.Commit(t, "g", b.CommitToken); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	t.Run("a token read before the group moved on is 409 and commits nothing", func(t *testing.T) {
		status, body := e.Commit(t, "g", a.CommitToken)
		if status != 409 || consumewindow.ErrorCode(t, body) != "group_moved_on" {
			t.Fatalf("%d %s", status, body)
		}
		if c := e.Committed(t, "g", "events", 1); c[0] != 5 {
			t.Fatalf("committed offset %d, want 5 (never moved back)", c[0])
		}
	})
	t.Run("a stale token never moves a later commit back", func(t *testing.T) {
		c := e.GroupWindow(t, "g", "count=100")
		if status, _ := e.Commit(t, "g", c.CommitToken); status != 200 {
			t.Fatal(status)
		}
		for _, tok := range []string{a.CommitToken, b.CommitToken} {
			if status, _ := e.Commit(t, "g", tok); status != 409 {
				t.Fatalf("stale token: %d", status)
			}
		}
		if got := e.Committed(t, "g", "events", 1); got[0] != 10 {
			t.Fatalf("committed %d, want 10", got[0])
		}
	})
	t.Run("concurrent commits of windows read from one position: exactly one wins", func(t *testing.T) {
		consumewindow.SeedTimed(t, e, "events", 1, 4)
		toks := []string{e.GroupWindow(t, "g", "count=1").CommitToken, e.GroupWindow(t, "g", "count=2").CommitToken, e.GroupWindow(t, "g", "count=3").CommitToken}
		statuses := make(chan int, len(toks))
		for _, tok := range toks {
			go func() {
				status, _ := e.Commit(t, "g", tok)
				statuses <- status
			}()
		}
		ok := 0
		for range toks {
			if <-statuses == 200 {
				ok++
			}
		}
		if ok != 1 {
			t.Fatalf("%d commits succeeded, want 1", ok)
		}
	})
}

func TestGroupWindowCommitImmediate(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	consumewindow.SeedTimed(t, e, "events", 1, 5)
	w := e.GroupWindow(t, "g", "count=2&commit=immediate")
	if !w.Committed || !slices.Equal(consumewindow.Values(w.Records), consumewindow.Vals(0, 2)) {
		t.Fatalf("%+v", w)
	}
	if c := e.Committed(t, "g", "events", 1); c[0] != 2 {
		t.Fatalf("committed %d", c[0])
	}
	next := e.GroupWindow(t, "g", "count=2")
	if !slices.Equal(consumewindow.Values(next.Records), consumewindow.Vals(2, 4)) {
		t.Fatalf("next %v", consumewindow.Values(next.Records))
	}
}

func TestGroupWindowReset(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	consumewindow.SeedTimed(t, e, "events", 2, 6)
	t.Run("reset=latest starts a new group at the end and its commit pins the position", func(t *testing.T) {
		w := e.GroupWindow(t, "late", "reset=latest")
		if len(w.Records) != 0 || !w.CaughtUp {
			t.Fatalf("%+v", w)
		}
		if status, body := e.Commit(t, "late", w.CommitToken); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		e.Produce(t, "events", broker.Record{Partition: 1, Value: []byte("new")})
		next := e.GroupWindow(t, "late", "reset=latest")
		if got := consumewindow.Values(next.Records); !slices.Equal(got, []string{"new"}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("CONSUME_GROUP_RESET=latest is the default a request can override", func(t *testing.T) {
		e2 := startEnv(t, map[string]string{"CONSUME_GROUP_RESET": "latest"}, kfake.SeedTopics(1, "events"))
		consumewindow.SeedTimed(t, e2, "events", 1, 3)
		if w := e2.GroupWindow(t, "x", ""); len(w.Records) != 0 {
			t.Fatalf("latest default: %v", consumewindow.Values(w.Records))
		}
		if w := e2.GroupWindow(t, "x", "reset=earliest"); len(w.Records) != 3 {
			t.Fatalf("earliest override: %v", consumewindow.Values(w.Records))
		}
	})
	t.Run("a commit before the log start restarts at the oldest retained record", func(t *testing.T) {
		w := e.GroupWindow(t, "old", "count=1&commit=immediate")
		if len(w.Records) != 1 {
			t.Fatal(consumewindow.Values(w.Records))
		}
		e.DeleteRecords(t, "events", 0, 2)
		next := e.GroupWindow(t, "old", "count=100")
		for _, r := range next.Records {
			if r.Partition == 0 && r.Offset < 2 {
				t.Fatalf("read deleted offset %d", r.Offset)
			}
		}
		if status, body := e.Commit(t, "old", next.CommitToken); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	})
}

// TestGroupCommitRefusesInvalidText: a commit body with a repeated name or invalid UTF-8 is a
// 400 and commits nothing (encoding/json alone would commit the last token given).
func TestGroupCommitRefusesInvalidText(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	consumewindow.SeedTimed(t, e, "events", 1, 3)
	good := e.GroupWindow(t, "g", "count=2").CommitToken
	for _, tc := range []struct{ name, body, msg string }{
		{"a repeated token", `{"token":"x","token":"` + good + `"}`, "invalid JSON body: duplicate field token"},
		{"the token field named twice in different case", `{"token":"x","Token":"` + good + `"}`, "invalid JSON body: duplicate field Token (names match ignoring case)"},
		{"a token that is not valid UTF-8", `{"token":"` + good + "\xff" + `"}`, "invalid JSON body: token is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.Do(t, "POST", "/v1/consumer/groups/g/commit", tc.body)
			var out struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(body, &out)
			if status != 400 || out.Error.Code != "invalid_json" || out.Error.Message != tc.msg {
				t.Fatalf("got %d %s, want 400 invalid_json %q", status, body, tc.msg)
			}
		})
	}
	committed, err := e.Broker.CommittedOffsets(t.Context(), "g", "events", []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if committed[0] != broker.NoCommit {
		t.Fatalf("a refused commit moved the group to %d", committed[0])
	}
}

func TestValidateGroupID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{{"billing", true}, {"team.a_b-c:1", true}, {"", false}, {"a/b", false}, {"é", false}, {strings.Repeat("x", 249), true}, {strings.Repeat("x", 250), false}} {
		t.Run(fmt.Sprintf("%.20q valid=%v", tc.id, tc.ok), func(t *testing.T) {
			if err := broker.ValidateGroupID(tc.id); (err == nil) != tc.ok {
				t.Fatal(err)
			}
		})
	}
}
