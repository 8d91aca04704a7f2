package consumewindow

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/groups"
)

// These tests stay in package consumewindow: TestGroupErrors forges commit tokens
// (commitToken), and the zero-config test runs Register over a zero groups.Config, which no
// environment produces. The other group tests start the shipped Build (group_test.go).

func TestGroupErrors(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	e := startEnv(t, func(d *Deps) { d.Groups.CommitTokenSecret = secret }, kfake.SeedTopics(1, "events"))
	SeedTimed(t, e, "events", 1, 3)
	good := e.GroupWindow(t, "g", "count=1").CommitToken
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
		{"a token for another group is refused", "POST", "/v1/consumer/groups/h/commit", JSONBody(t, CommitRequest{CommitToken: good}), 400, "invalid_token"},
		{"an unsigned token is refused when tokens are signed", "POST", "/v1/consumer/groups/g/commit", JSONBody(t, CommitRequest{CommitToken: unsigned}), 400, "invalid_token"},
		{"a token signed with another secret is refused", "POST", "/v1/consumer/groups/g/commit", JSONBody(t, CommitRequest{CommitToken: forged}), 400, "invalid_token"},
		{"an expired token is refused", "POST", "/v1/consumer/groups/g/commit", JSONBody(t, CommitRequest{CommitToken: expired}), 400, "token_expired"},
		{"a commit body with unknown fields is refused", "POST", "/v1/consumer/groups/g/commit", `{"token":"x","extra":1}`, 400, ""},
		{"lag needs a topic", "GET", "/v1/consumer/groups/g/lag", "", 400, "invalid_topic"},
		{"lag of an unknown topic is 404", "GET", "/v1/consumer/groups/g/lag?topic=nope", "", 404, "unknown_topic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.Do(t, tc.method, tc.path, tc.body)
			if status != tc.status || (tc.code != "" && ErrorCode(t, body) != tc.code) {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	t.Run("a signed token from this service commits", func(t *testing.T) {
		if status, body := e.Commit(t, "g", good); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	})
}

func TestGroupRoutesWithZeroConfigUseTheDefaults(t *testing.T) {
	e := startEnv(t, func(d *Deps) { d.Groups = groups.Config{} }, kfake.SeedTopics(1, "events"))
	SeedTimed(t, e, "events", 1, 2)
	w := e.GroupWindow(t, "g", "")
	if len(w.Records) != 2 {
		t.Fatalf("reset is not earliest: %v", Values(w.Records))
	}
	if status, body := e.Commit(t, "g", w.CommitToken); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
}
