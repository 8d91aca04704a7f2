package fault_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/internal/harness"
)

// request is one call to an admin or group route, with the status it answers when Kafka is
// well.
type request struct {
	name, method, path string
	body               any
	ok                 int
	admin              bool // a topic admin route (create, delete)
}

// adminAndGroupRoutes warms the group routes (a window read and its token for the commit)
// and returns one request per admin and group route. The create and delete requests
// change Kafka: during a fault they must do nothing, so after it they answer 201 and 200.
func adminAndGroupRoutes(t *testing.T, s *harness.Stack) []request {
	t.Helper()
	if err := s.Cluster.CreateTopic("doomed", 1, nil); err != nil {
		t.Fatal(err)
	}
	r := do(t, s, "POST", "/v1/consumer/groups/committer/topics/"+topic+"/window?count=1", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("warm-up group window: %d %s", r.Status, r.Body)
	}
	var w consumewindow.GroupWindowResponse
	if err := json.Unmarshal(r.Body, &w); err != nil {
		t.Fatal(err)
	}
	if r := do(t, s, "GET", "/v1/consumer/groups/committer/lag?topic="+topic, nil); r.Status != http.StatusOK {
		t.Fatalf("warm-up lag: %d %s", r.Status, r.Body)
	}
	return []request{
		{name: "create topic", method: "PUT", path: "/v1/topics/created", ok: http.StatusCreated, admin: true},
		{name: "delete topic", method: "DELETE", path: "/v1/topics/doomed", ok: http.StatusOK, admin: true},
		{name: "group window", method: "POST", path: "/v1/consumer/groups/reader/topics/" + topic + "/window?count=1", ok: http.StatusOK},
		{name: "group commit", method: "POST", path: "/v1/consumer/groups/committer/commit", body: consumewindow.CommitRequest{CommitToken: w.CommitToken}, ok: http.StatusOK},
		{name: "group lag", method: "GET", path: "/v1/consumer/groups/committer/lag?topic=" + topic, ok: http.StatusOK},
	}
}

// checkUnavailable asserts a retryable 503 (never a 500, never a 504: nothing hung) whose
// message does not claim an unknown outcome for a call that changed nothing.
func checkUnavailable(t *testing.T, rq request, r harness.Response) {
	t.Helper()
	if r.Status != http.StatusServiceUnavailable {
		t.Errorf("%s during the fault: %d, want a retryable 503: %s", rq.name, r.Status, r.Body)
		return
	}
	checkFailure(t, r)
	if !rq.admin && strings.Contains(string(r.Body), "outcome is unknown") {
		t.Errorf("%s: a failure of a call that changed nothing claims an unknown outcome: %s", rq.name, r.Body)
	}
}

// TestBrokerRestartAdminAndGroups restarts the broker under the topic admin and consumer
// group routes: while it is down, and while it is back but not ready (it answers
// BROKER_NOT_AVAILABLE, its partitions have no leader yet and its group coordinator is
// still loading), every route answers a retryable 503, and the first request of each after
// the restart succeeds. The stale layout kafka-go keeps from the outage (it lacks the
// broker, so kafka-go itself answers BROKER_NOT_AVAILABLE) is refreshed and retried inside
// kafkafn, not answered.
func TestBrokerRestartAdminAndGroups(t *testing.T) {
	phases := []struct {
		name    string
		inject  func(t *testing.T, s *harness.Stack) (heal func())
		faulted func(request) bool
	}{
		{
			name: "the broker is down (connections reset, dials refused)",
			inject: func(t *testing.T, s *harness.Stack) func() {
				s.Proxy.Down()
				return s.Proxy.Up
			},
			faulted: func(request) bool { return true },
		},
		{
			name: "the broker is back but not ready",
			inject: func(t *testing.T, s *harness.Stack) func() {
				h := s.Cluster.Fault(
					kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics, kmsg.DeleteTopics}, Err: kerr.BrokerNotAvailable, Count: -1},
					kfake.Fault{Keys: []kmsg.Key{kmsg.Metadata}, Topic: topic, Err: kerr.LeaderNotAvailable, Count: -1},
					kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetFetch, kmsg.OffsetCommit}, Err: kerr.CoordinatorLoadInProgress, Count: -1},
				)
				return h.Remove
			},
			faulted: func(request) bool { return true },
		},
		{
			name: "the group coordinator is not available yet",
			inject: func(t *testing.T, s *harness.Stack) func() {
				h := s.Cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetFetch, kmsg.OffsetCommit}, Err: kerr.CoordinatorNotAvailable, Count: -1})
				return h.Remove
			},
			faulted: func(rq request) bool { return !rq.admin },
		},
	}
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			s := newStack(t, 1, nil)
			routes := adminAndGroupRoutes(t, s)
			heal := ph.inject(t, s)
			for _, rq := range routes {
				if !ph.faulted(rq) {
					continue
				}
				checkUnavailable(t, rq, do(t, s, rq.method, rq.path, rq.body))
			}
			heal()
			for _, rq := range routes {
				if r := do(t, s, rq.method, rq.path, rq.body); r.Status != rq.ok {
					t.Errorf("%s, the first request after the restart: %d, want %d: %s", rq.name, r.Status, rq.ok, r.Body)
				}
			}
		})
	}
}

// TestCoordinatorAndControllerMovesAreRetried: errors that prove Kafka did nothing and that
// a moment later (or fresh metadata) fixes are retried once inside kafkafn, so the caller
// sees a success.
func TestCoordinatorAndControllerMovesAreRetried(t *testing.T) {
	cases := []struct {
		name  string
		fault kfake.Fault // applied once to each route it reaches
	}{
		{"NOT_COORDINATOR once (the coordinator moved)",
			kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetFetch, kmsg.OffsetCommit}, Err: kerr.NotCoordinator}},
		{"COORDINATOR_LOAD_IN_PROGRESS once",
			kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetFetch, kmsg.OffsetCommit}, Err: kerr.CoordinatorLoadInProgress}},
		{"COORDINATOR_NOT_AVAILABLE once",
			kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetFetch, kmsg.OffsetCommit}, Err: kerr.CoordinatorNotAvailable}},
		{"BROKER_NOT_AVAILABLE once from the controller",
			kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics, kmsg.DeleteTopics}, Err: kerr.BrokerNotAvailable}},
		{"NOT_CONTROLLER once (the controller moved)",
			kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics, kmsg.DeleteTopics}, Err: kerr.NotController}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// No fault here is slow: the retry is what is checked, and a loaded machine must
			// not run both attempts (and the group route's other calls) past the deadline.
			s := newStack(t, 1, map[string]string{"REQUEST_TIMEOUT": "30s"})
			admin := tc.fault.Keys[0] == kmsg.CreateTopics
			for _, rq := range adminAndGroupRoutes(t, s) {
				if rq.admin != admin {
					continue
				}
				h := s.Cluster.Fault(tc.fault)
				if r := do(t, s, rq.method, rq.path, rq.body); r.Status != rq.ok {
					t.Errorf("%s: %d, want %d: %s", rq.name, r.Status, rq.ok, r.Body)
				}
				if h.Hits() != 1 {
					t.Errorf("%s: the fault was hit %d times, want 1", rq.name, h.Hits())
				}
				h.Remove()
			}
		})
	}
}

// TestAdminTimeoutIsAnUnknownOutcome: a create that timed out at the controller may still
// happen, so it is not retried (a repeat would answer a false 409) and the answer says the
// outcome is unknown.
func TestAdminTimeoutIsAnUnknownOutcome(t *testing.T) {
	s := newStack(t, 1, nil)
	h := s.Cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics}, Err: kerr.RequestTimedOut})
	r := do(t, s, "PUT", "/v1/topics/slow", nil)
	if r.Status != http.StatusGatewayTimeout || !strings.Contains(string(r.Body), "outcome is unknown") {
		t.Fatalf("status %d, want a 504 with an unknown outcome: %s", r.Status, r.Body)
	}
	checkFailure(t, r)
	if h.Hits() != 1 {
		t.Errorf("CreateTopics was faulted %d times, want 1 (no retry)", h.Hits())
	}
	if r := do(t, s, "PUT", "/v1/topics/slow", nil); r.Status != http.StatusConflict {
		t.Errorf("the topic the timed-out request created: %d, want 409: %s", r.Status, r.Body)
	}
}
