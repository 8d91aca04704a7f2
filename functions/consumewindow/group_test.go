package consumewindow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/groups"
)

func (e *testEnv) groupWindow(t *testing.T, group, query string) GroupWindowResponse {
	t.Helper()
	var out GroupWindowResponse
	status, body := e.do(t, "POST", "/v1/consumer/groups/"+group+"/topics/events/window?"+query, "")
	decode(t, status, body, &out)
	return out
}

func (e *testEnv) commit(t *testing.T, group, token string) (int, []byte) {
	t.Helper()
	return e.do(t, "POST", "/v1/consumer/groups/"+group+"/commit", jsonBody(t, CommitRequest{CommitToken: token}))
}

func (e *testEnv) lag(t *testing.T, group string) LagResponse {
	t.Helper()
	var out LagResponse
	status, body := e.do(t, "GET", "/v1/consumer/groups/"+group+"/lag?topic=events", "")
	decode(t, status, body, &out)
	return out
}

func TestGroupWindowReadCommitRead(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	seedTimed(t, e, "events", 2, 10)

	if l := e.lag(t, "billing"); l.Lag != 10 || l.Partitions[0].Committed != nil {
		t.Fatalf("lag before any commit: %+v", l)
	}
	w1 := e.groupWindow(t, "billing", "count=4")
	if got := values(w1.Records); !slices.Equal(got, vals(0, 4)) || w1.CaughtUp || w1.Committed {
		t.Fatalf("first window %v caughtUp=%v", got, w1.CaughtUp)
	}
	t.Run("reading again without a commit returns the same records", func(t *testing.T) {
		again := e.groupWindow(t, "billing", "count=4")
		if !slices.Equal(values(again.Records), values(w1.Records)) {
			t.Fatalf("got %v", values(again.Records))
		}
	})
	t.Run("the commit stores exactly the delivered offsets", func(t *testing.T) {
		status, body := e.commit(t, "billing", w1.CommitToken)
		var out CommitResponse
		decode(t, status, body, &out)
		want := []PartitionOffset{{Partition: 0, Offset: 2}, {Partition: 1, Offset: 2}}
		if !slices.Equal(out.Committed, want) {
			t.Fatalf("committed %+v, want %+v", out.Committed, want)
		}
		if c := e.committed(t, "billing", "events", 2); c[0] != 2 || c[1] != 2 {
			t.Fatalf("broker says %v", c)
		}
	})
	t.Run("committing the same token again succeeds and changes nothing", func(t *testing.T) {
		status, body := e.commit(t, "billing", w1.CommitToken)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("lag reports committed, end and lag per partition", func(t *testing.T) {
		l := e.lag(t, "billing")
		if l.Lag != 6 || *l.Partitions[0].Committed != 2 || l.Partitions[0].EndOffset != 5 || l.Partitions[0].Lag != 3 {
			t.Fatalf("lag %+v", l)
		}
	})
	t.Run("the next window continues after the commit until caught up", func(t *testing.T) {
		w2 := e.groupWindow(t, "billing", "count=100")
		if got := values(w2.Records); !slices.Equal(got, vals(4, 10)) || !w2.CaughtUp {
			t.Fatalf("second window %v caughtUp=%v", got, w2.CaughtUp)
		}
		if status, body := e.commit(t, "billing", w2.CommitToken); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if l := e.lag(t, "billing"); l.Lag != 0 {
			t.Fatalf("lag after catching up %+v", l)
		}
		w3 := e.groupWindow(t, "billing", "")
		if len(w3.Records) != 0 || !w3.CaughtUp {
			t.Fatalf("third window %+v", w3)
		}
	})
	t.Run("another group has its own position", func(t *testing.T) {
		w := e.groupWindow(t, "audit", "count=3")
		if got := values(w.Records); !slices.Equal(got, vals(0, 3)) {
			t.Fatalf("got %v", got)
		}
	})
}

func TestGroupCommitRace(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	seedTimed(t, e, "events", 1, 10)
	// Two readers take the same window; then one reads further and commits.
	a := e.groupWindow(t, "g", "count=3")
	b := e.groupWindow(t, "g", "count=5")
	if status, body := e.commit(t, "g", b.CommitToken); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	t.Run("a token read before the group moved on is 409 and commits nothing", func(t *testing.T) {
		status, body := e.commit(t, "g", a.CommitToken)
		if status != 409 || errorCode(t, body) != "group_moved_on" {
			t.Fatalf("%d %s", status, body)
		}
		if c := e.committed(t, "g", "events", 1); c[0] != 5 {
			t.Fatalf("committed offset %d, want 5 (never moved back)", c[0])
		}
	})
	t.Run("a stale token never moves a later commit back", func(t *testing.T) {
		c := e.groupWindow(t, "g", "count=100")
		if status, _ := e.commit(t, "g", c.CommitToken); status != 200 {
			t.Fatal(status)
		}
		for _, tok := range []string{a.CommitToken, b.CommitToken} {
			if status, _ := e.commit(t, "g", tok); status != 409 {
				t.Fatalf("stale token: %d", status)
			}
		}
		if got := e.committed(t, "g", "events", 1); got[0] != 10 {
			t.Fatalf("committed %d, want 10", got[0])
		}
	})
	t.Run("concurrent commits of windows read from one position: exactly one wins", func(t *testing.T) {
		seedTimed(t, e, "events", 1, 4)
		toks := []string{e.groupWindow(t, "g", "count=1").CommitToken, e.groupWindow(t, "g", "count=2").CommitToken, e.groupWindow(t, "g", "count=3").CommitToken}
		statuses := make(chan int, len(toks))
		for _, tok := range toks {
			go func() {
				status, _ := e.commit(t, "g", tok)
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
	seedTimed(t, e, "events", 1, 5)
	w := e.groupWindow(t, "g", "count=2&commit=immediate")
	if !w.Committed || !slices.Equal(values(w.Records), vals(0, 2)) {
		t.Fatalf("%+v", w)
	}
	if c := e.committed(t, "g", "events", 1); c[0] != 2 {
		t.Fatalf("committed %d", c[0])
	}
	next := e.groupWindow(t, "g", "count=2")
	if !slices.Equal(values(next.Records), vals(2, 4)) {
		t.Fatalf("next %v", values(next.Records))
	}
}

func TestGroupWindowReset(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	seedTimed(t, e, "events", 2, 6)
	t.Run("reset=latest starts a new group at the end and its commit pins the position", func(t *testing.T) {
		w := e.groupWindow(t, "late", "reset=latest")
		if len(w.Records) != 0 || !w.CaughtUp {
			t.Fatalf("%+v", w)
		}
		if status, body := e.commit(t, "late", w.CommitToken); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		e.produce(t, "events", broker.Record{Partition: 1, Value: []byte("new")})
		next := e.groupWindow(t, "late", "reset=latest")
		if got := values(next.Records); !slices.Equal(got, []string{"new"}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("CONSUME_GROUP_RESET=latest is the default a request can override", func(t *testing.T) {
		e2 := startEnv(t, func(d *Deps) { d.Groups.Reset = "latest" }, kfake.SeedTopics(1, "events"))
		seedTimed(t, e2, "events", 1, 3)
		if w := e2.groupWindow(t, "x", ""); len(w.Records) != 0 {
			t.Fatalf("latest default: %v", values(w.Records))
		}
		if w := e2.groupWindow(t, "x", "reset=earliest"); len(w.Records) != 3 {
			t.Fatalf("earliest override: %v", values(w.Records))
		}
	})
	t.Run("a commit before the log start restarts at the oldest retained record", func(t *testing.T) {
		w := e.groupWindow(t, "old", "count=1&commit=immediate")
		if len(w.Records) != 1 {
			t.Fatal(values(w.Records))
		}
		e.deleteRecords(t, "events", 0, 2)
		next := e.groupWindow(t, "old", "count=100")
		for _, r := range next.Records {
			if r.Partition == 0 && r.Offset < 2 {
				t.Fatalf("read deleted offset %d", r.Offset)
			}
		}
		if status, body := e.commit(t, "old", next.CommitToken); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	})
}

func TestGroupErrors(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	e := startEnv(t, func(d *Deps) { d.Groups.CommitTokenSecret = secret }, kfake.SeedTopics(1, "events"))
	seedTimed(t, e, "events", 1, 3)
	good := e.groupWindow(t, "g", "count=1").CommitToken
	unsigned := (&commitToken{V: 1, Group: "g", Topic: "events", Issued: time.Now().UnixMilli(),
		Partitions: []commitTokenOffset{{Partition: 0, Committed: -1, Next: 3}}}).encode(nil)
	forged := (&commitToken{V: 1, Group: "g", Topic: "events", Issued: time.Now().UnixMilli(),
		Partitions: []commitTokenOffset{{Partition: 0, Committed: -1, Next: 3}}}).encode([]byte("another-secret-of-16"))
	expired := (&commitToken{V: 1, Group: "g", Topic: "events", Issued: time.Now().Add(-2 * time.Hour).UnixMilli(),
		Partitions: []commitTokenOffset{}}).encode(secret)
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"a group name with a slash-like character is refused", "POST", "/v1/consumer/groups/a%20b/topics/events/window", "", 400, "invalid_group"},
		{"a group name over 249 characters is refused", "POST", "/v1/consumer/groups/" + strings.Repeat("g", 250) + "/topics/events/window", "", 400, "invalid_group"},
		{"an unknown reset policy is refused", "POST", "/v1/consumer/groups/g/topics/events/window?reset=middle", "", 400, "invalid_reset"},
		{"an unknown commit mode is refused", "POST", "/v1/consumer/groups/g/topics/events/window?commit=later", "", 400, "invalid_commit"},
		{"an unknown topic is 404", "POST", "/v1/consumer/groups/g/topics/nope/window", "", 404, "unknown_topic"},
		{"a token for another group is refused", "POST", "/v1/consumer/groups/h/commit", jsonBody(t, CommitRequest{CommitToken: good}), 400, "invalid_token"},
		{"an unsigned token is refused when tokens are signed", "POST", "/v1/consumer/groups/g/commit", jsonBody(t, CommitRequest{CommitToken: unsigned}), 400, "invalid_token"},
		{"a token signed with another secret is refused", "POST", "/v1/consumer/groups/g/commit", jsonBody(t, CommitRequest{CommitToken: forged}), 400, "invalid_token"},
		{"an expired token is refused", "POST", "/v1/consumer/groups/g/commit", jsonBody(t, CommitRequest{CommitToken: expired}), 400, "token_expired"},
		{"a commit body with unknown fields is refused", "POST", "/v1/consumer/groups/g/commit", `{"token":"x","extra":1}`, 400, ""},
		{"lag needs a topic", "GET", "/v1/consumer/groups/g/lag", "", 400, "invalid_topic"},
		{"lag of an unknown topic is 404", "GET", "/v1/consumer/groups/g/lag?topic=nope", "", 404, "unknown_topic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, tc.method, tc.path, tc.body)
			if status != tc.status || (tc.code != "" && errorCode(t, body) != tc.code) {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	t.Run("a signed token from this service commits", func(t *testing.T) {
		if status, body := e.commit(t, "g", good); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	})
}

// TestGroupCommitRefusesInvalidText: a commit body with a repeated name or invalid UTF-8 is a
// 400 and commits nothing (encoding/json alone would commit the last token given).
func TestGroupCommitRefusesInvalidText(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	seedTimed(t, e, "events", 1, 3)
	good := e.groupWindow(t, "g", "count=2").CommitToken
	for _, tc := range []struct{ name, body, msg string }{
		{"a repeated token", `{"token":"x","token":"` + good + `"}`, "invalid JSON body: duplicate field token"},
		{"the token field named twice in different case", `{"token":"x","Token":"` + good + `"}`, "invalid JSON body: duplicate field Token (names match ignoring case)"},
		{"a token that is not valid UTF-8", `{"token":"` + good + "\xff" + `"}`, "invalid JSON body: token is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, "POST", "/v1/consumer/groups/g/commit", tc.body)
			var out struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(body, &out)
			if status != 400 || out.Error.Code != "invalid_json" || out.Error.Message != tc.msg {
				t.Fatalf("got %d %s, want 400 invalid_json %q", status, body, tc.msg)
			}
		})
	}
	committed, err := e.broker.CommittedOffsets(t.Context(), "g", "events", []int{0})
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

func TestGroupRoutesWithZeroConfigUseTheDefaults(t *testing.T) {
	e := startEnv(t, func(d *Deps) { d.Groups = groups.Config{} }, kfake.SeedTopics(1, "events"))
	seedTimed(t, e, "events", 1, 2)
	w := e.groupWindow(t, "g", "")
	if len(w.Records) != 2 {
		t.Fatalf("reset is not earliest: %v", values(w.Records))
	}
	if status, body := e.commit(t, "g", w.CommitToken); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
}
