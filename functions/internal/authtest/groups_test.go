package authtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// groupPolicy grants consumer groups per rule: Team.A may use team-a and team-a.* on
// orders.*, and consume public only without a group; Legacy.Reader has a rule written before
// consumer groups existed (no "groups"); Kafka.Admin may do anything through any group.
const groupPolicy = `{"rules":[
 {"principals":["role:Team.A"],"ops":["consume"],"topics":["orders.*"],"groups":["team-a","team-a.*"]},
 {"principals":["role:Team.A"],"ops":["consume"],"topics":["public"]},
 {"principals":["role:Legacy.Reader"],"ops":["consume","metadata"],"topics":["orders.*"]},
 {"principals":["role:Kafka.Admin"],"ops":["*"],"topics":["*"],"groups":["*"]}
]}`

// TestConsumerGroupMatrix drives the three group routes (a window with ?commit=immediate, a
// commit of another caller's token, the lag) for callers × consumer groups × topics, and
// checks that a refused request committed nothing.
func TestConsumerGroupMatrix(t *testing.T) {
	s := newStack(t, groupPolicy)
	admin := map[string]string{"Authorization": "Bearer " + s.token([]string{"Kafka.Admin"}, nil)}
	principals := []struct{ name, bearer string }{
		{"Team.A", s.token([]string{"Team.A"}, nil)},
		{"Legacy.Reader (a rule without groups)", s.token([]string{"Legacy.Reader"}, nil)},
		{"a caller with no grants", s.token([]string{"Other"}, nil)},
		{"Kafka.Admin", s.token([]string{"Kafka.Admin"}, nil)},
	}
	allowed := func(principal, group, topic string) bool {
		switch principal {
		case "Kafka.Admin":
			return true
		case "Team.A":
			return topic == "orders.eu" && (group == "team-a" || strings.HasPrefix(group, "team-a."))
		}
		return false
	}
	for _, p := range principals {
		h := map[string]string{"Authorization": "Bearer " + p.bearer}
		for _, topic := range []string{"orders.eu", "public"} {
			for _, group := range []string{"team-a", "team-a.eu", "team-ab", "team-b", "billing"} {
				want := allowed(p.name, group, topic)
				t.Run(fmt.Sprintf("%s: group %s on %s → allowed=%v", p.name, group, topic, want), func(t *testing.T) {
					// A fresh record, so every window below has something to commit.
					if a := s.do(t, "POST", "/v1/producer/topics/"+topic, `{"records":[{"value":"x"}]}`, admin); a.status != 200 {
						t.Fatalf("seed: %d %s", a.status, a.body)
					}
					check := func(what string, a answer, before int64) {
						t.Helper()
						if want && a.status != 200 || !want && a.status != http.StatusForbidden {
							t.Fatalf("%s: %d %s; want allowed=%v", what, a.status, a.body, want)
						}
						if !want {
							if !strings.Contains(string(a.body), `"forbidden"`) {
								t.Fatalf("%s: %s; want code forbidden", what, a.body)
							}
							if after := s.committed(t, group, topic); after != before {
								t.Fatalf("%s: refused, yet the group's offset moved from %d to %d", what, before, after)
							}
						}
					}
					// The admin's window (not committed) yields a token for exactly the next records.
					a := s.do(t, "POST", "/v1/consumer/groups/"+group+"/topics/"+topic+"/window?count=1", "", admin)
					var win struct{ Token string }
					if a.status != 200 || json.Unmarshal(a.body, &win) != nil || win.Token == "" {
						t.Fatalf("admin window: %d %s", a.status, a.body)
					}
					before := s.committed(t, group, topic)
					check("commit", s.do(t, "POST", "/v1/consumer/groups/"+group+"/commit", `{"token":"`+win.Token+`"}`, h), before)
					if want && s.committed(t, group, topic) == before {
						t.Fatalf("an allowed commit did not move the group")
					}
					if a := s.do(t, "POST", "/v1/producer/topics/"+topic, `{"records":[{"value":"y"}]}`, admin); a.status != 200 {
						t.Fatalf("seed: %d %s", a.status, a.body)
					}
					before = s.committed(t, group, topic)
					check("window with commit=immediate", s.do(t, "POST", "/v1/consumer/groups/"+group+"/topics/"+topic+"/window?commit=immediate", "", h), before)
					check("lag", s.do(t, "GET", "/v1/consumer/groups/"+group+"/lag?topic="+topic, "", h), s.committed(t, group, topic))
				})
			}
		}
	}
	t.Run("a rule without groups still grants the topic routes", func(t *testing.T) {
		h := map[string]string{"Authorization": "Bearer " + principals[1].bearer}
		if a := s.do(t, "GET", "/v1/consumer/topics/orders.eu/partitions/0/offsets/0", "", h); a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if a := s.do(t, "GET", "/v1/consumer/topics/orders.eu/window?from=0", "", h); a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
	})
}

// TestDefaultPolicyGrantsEveryGroup: without AUTH_POLICY every authenticated caller may use
// every consumer group, as it may consume every topic.
func TestDefaultPolicyGrantsEveryGroup(t *testing.T) {
	s := newStack(t, "")
	h := map[string]string{"Authorization": "Bearer " + s.token(nil, nil)}
	if a := s.do(t, "POST", "/v1/producer/topics/public", `{"records":[{"value":"x"}]}`, h); a.status != 200 {
		t.Fatalf("produce: %d %s", a.status, a.body)
	}
	a := s.do(t, "POST", "/v1/consumer/groups/anyone/topics/public/window", "", h)
	var win struct{ Token string }
	if a.status != 200 || json.Unmarshal(a.body, &win) != nil {
		t.Fatalf("window: %d %s", a.status, a.body)
	}
	if a := s.do(t, "POST", "/v1/consumer/groups/anyone/commit", `{"token":"`+win.Token+`"}`, h); a.status != 200 {
		t.Fatalf("commit: %d %s", a.status, a.body)
	}
	if a := s.do(t, "GET", "/v1/consumer/groups/anyone/lag?topic=public", "", h); a.status != 200 || !strings.Contains(string(a.body), `"lag":0`) {
		t.Fatalf("lag: %d %s", a.status, a.body)
	}
}

// committed is group's committed offset on partition 0 of topic (-1: none).
func (s *stack) committed(t *testing.T, group, topic string) int64 {
	t.Helper()
	c, err := s.bc.CommittedOffsets(t.Context(), group, topic, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	return c[0]
}
