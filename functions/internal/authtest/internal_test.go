package authtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestInternalTopicsAreRefusedOnEveryRoute: Kafka's internal topics ("__" prefix) are hidden
// from the listing and refused with 403 internal_topic on every route that names a topic,
// even for a caller the policy allows everything; nothing is written, created or deleted.
func TestInternalTopicsAreRefusedOnEveryRoute(t *testing.T) {
	s := newStack(t, thePolicy)
	admin := map[string]string{"Authorization": "Bearer " + s.token([]string{"Kafka.Admin"}, nil)}
	cases := []struct{ method, path, body string }{
		{"PUT", "/v1/topics/__consumer_offsets", `{}`},
		{"PUT", "/v1/topics/__transaction_state", `{}`},
		{"PUT", "/v1/topics/__new", `{"partition_count":1}`},
		{"DELETE", "/v1/topics/__hidden", ""},
		{"DELETE", "/v1/topics/__consumer_offsets", ""},
		{"POST", "/v1/producer/topics/__hidden", `{"records":[{"value":"x"}]}`},
		{"POST", "/v1/producer/topics/__consumer_offsets", `{"records":[{"key":"k","value":"x"}]}`},
		{"GET", "/v1/metadata/topics/__hidden/partitions", ""},
		{"GET", "/v1/metadata/topics/__consumer_offsets/partitions/0", ""},
		{"GET", "/v1/consumer/topics/__hidden/partitions/0/offsets/0", ""},
		{"GET", "/v1/consumer/topics/__hidden/window?from=0", ""},
		{"POST", "/v1/consumer/groups/g1/topics/__hidden/window?commit=immediate", ""},
		{"GET", "/v1/consumer/groups/g1/lag?topic=__consumer_offsets", ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path+" → 403 internal_topic", func(t *testing.T) {
			a := s.do(t, c.method, c.path, c.body, admin)
			var eb struct{ Error struct{ Code string } }
			if a.status != http.StatusForbidden || json.Unmarshal(a.body, &eb) != nil || eb.Error.Code != "internal_topic" {
				t.Fatalf("%d %s; want 403 internal_topic", a.status, a.body)
			}
		})
	}
	parts, err := s.bc.Partitions(t.Context(), "__hidden")
	if err != nil || len(parts) != 1 || parts[0].Latest != 0 {
		t.Fatalf("__hidden after the refusals: %+v, %v; want it still there and empty", parts, err)
	}
	if topics, err := s.bc.Topics(t.Context()); err != nil || contains(topics, "__new") {
		t.Fatalf("a refused create made a topic: %v, %v", topics, err)
	}
	a := s.do(t, "GET", "/v1/metadata/topics", "", admin)
	if a.status != 200 || strings.Contains(string(a.body), "__") || !strings.Contains(string(a.body), "orders.eu") {
		t.Fatalf("listing: %d %s; want the topics without the internal ones", a.status, a.body)
	}
}
