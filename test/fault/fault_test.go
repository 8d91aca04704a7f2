package fault_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"

	"github.com/kafkafn/kafkafn/internal/harness"
)

const topic = "orders"

// newStack starts kafkafn behind a fault proxy with a short request deadline, registers the
// leak checks (they run after every other cleanup), and warms the stack up: pooled
// connections and cached metadata exist before the fault.
func newStack(t *testing.T, brokers int, env map[string]string) *harness.Stack {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	var s *harness.Stack
	t.Cleanup(func() {
		// Runs after the stack's own cleanup closed the server and the client.
		if s != nil && s.Proxy != nil {
			waitFor(t, "proxied connections to close", func() bool { return s.Proxy.Open() == 0 })
		}
	})
	e := map[string]string{"REQUEST_TIMEOUT": "2s"}
	maps.Copy(e, env)
	s = harness.Start(t, harness.Options{
		Cluster:        []kfake.Opt{kfake.NumBrokers(brokers), kfake.SeedTopics(3, topic)},
		Proxy:          true,
		Env:            e,
		NoOpenAPICheck: true,
	})
	for p := int32(0); p < 3; p++ {
		if r := produce(t, s, &p, "warm"); r.Status != http.StatusOK {
			t.Fatalf("warm-up produce: %d %s", r.Status, r.Body)
		}
	}
	if r := do(t, s, "GET", "/v1/metadata/topics", nil); r.Status != http.StatusOK {
		t.Fatalf("warm-up metadata: %d %s", r.Status, r.Body)
	}
	if r := do(t, s, "GET", "/v1/consumer/topics/"+topic+"/partitions/0/offsets/0", nil); r.Status != http.StatusOK {
		t.Fatalf("warm-up consume: %d %s", r.Status, r.Body)
	}
	return s
}

func do(t *testing.T, s *harness.Stack, method, path string, body any) harness.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := s.Send(ctx, method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func produce(t *testing.T, s *harness.Stack, partition *int32, values ...string) harness.Response {
	t.Helper()
	return do(t, s, "POST", "/v1/producer/topics/"+topic, harness.ProduceBody(partition, values...))
}

func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Errorf("gave up waiting for %s", what)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkFailure asserts a clear, retryable 5xx JSON error.
func checkFailure(t *testing.T, r harness.Response) {
	t.Helper()
	if r.Status < 500 {
		t.Fatalf("status %d, want a 5xx: %s", r.Status, r.Body)
	}
	var body harness.ErrorBody
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, r.Body)
	}
	if body.Error.Code == "" || body.Error.Message == "" || !body.Error.Retryable {
		t.Errorf("error body lacks code, message or retryable=true: %s", r.Body)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("a %d has no Retry-After header", r.Status)
	}
}

var p0 = int32(0)

// TestProduceUnderFaults injects one fault into the produce path and checks what the caller
// sees, what Kafka holds, and that the stack recovers.
func TestProduceUnderFaults(t *testing.T) {
	var releaseSlow func() // set by the slow-broker case's inject
	cases := []struct {
		name    string
		brokers int
		inject  func(t *testing.T, s *harness.Stack)
		heal    func(t *testing.T, s *harness.Stack) // nil: nothing to undo
		want    []int                                // acceptable statuses
		copies  []int                                // acceptable copies of the record in the log
	}{
		{
			name:   "NOT_LEADER once is retried after a metadata refresh and succeeds",
			inject: func(t *testing.T, s *harness.Stack) { fault(s, kerr.NotLeaderForPartition, 1) },
			want:   []int{200}, copies: []int{1},
		},
		{
			name:   "NOT_LEADER twice is a retryable 503 with nothing written",
			inject: func(t *testing.T, s *harness.Stack) { fault(s, kerr.NotLeaderForPartition, 2) },
			want:   []int{503}, copies: []int{0},
		},
		{
			name:    "the partition leader moved to another broker: retried on the new leader",
			brokers: 3,
			inject: func(t *testing.T, s *harness.Stack) {
				old := s.Cluster.LeaderFor(topic, 0)
				if err := s.Cluster.MoveTopicPartition(topic, 0, (old+1)%3); err != nil {
					t.Fatal(err)
				}
			},
			want: []int{200}, copies: []int{1},
		},
		{
			name:   "REQUEST_TIMED_OUT after the write was applied is a 504 unknown outcome, not retried",
			inject: func(t *testing.T, s *harness.Stack) { fault(s, kerr.RequestTimedOut, 1) },
			want:   []int{504}, copies: []int{1},
		},
		{
			name:   "NOT_ENOUGH_REPLICAS once (refused before the append) is retried after a pause and succeeds",
			inject: func(t *testing.T, s *harness.Stack) { fault(s, kerr.NotEnoughReplicas, 1) },
			want:   []int{200}, copies: []int{1},
		},
		{
			name:   "NOT_ENOUGH_REPLICAS_AFTER_APPEND is a 503 unknown outcome, not retried",
			inject: func(t *testing.T, s *harness.Stack) { fault(s, kerr.NotEnoughReplicasAfterAppend, 1) },
			want:   []int{503}, copies: []int{1},
		},
		{
			name:   "KAFKA_STORAGE_ERROR on produce is a retryable 503, not retried",
			inject: func(t *testing.T, s *harness.Stack) { fault(s, kerr.KafkaStorageError, 1) },
			want:   []int{503}, copies: []int{0},
		},
		{
			name: "a connection dropped before the broker handled the request is retried once",
			inject: func(t *testing.T, s *harness.Stack) {
				s.Cluster.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
					s.Cluster.DropControl()
					return nil, errors.New("drop"), true
				})
			},
			want: []int{200}, copies: []int{1},
		},
		{
			name: "a connection dropped after the write was applied: retried, the record is duplicated (at-least-once)",
			inject: func(t *testing.T, s *harness.Stack) {
				s.Proxy.KillNextResponse()
			},
			want: []int{200}, copies: []int{2},
		},
		{
			name:   "the broker is down: a retryable 503, and the next request after it is back succeeds",
			inject: func(t *testing.T, s *harness.Stack) { s.Proxy.Down() },
			heal:   func(t *testing.T, s *harness.Stack) { s.Proxy.Up() },
			want:   []int{503}, copies: []int{0},
		},
		{
			name: "a broker slower than the request deadline: a 504 unknown outcome; the record lands later",
			inject: func(t *testing.T, s *harness.Stack) {
				releaseSlow = slow(t, s, kmsg.Produce)
			},
			heal: func(t *testing.T, s *harness.Stack) {
				releaseSlow() // the 504 has been answered: let the broker finish the write
				waitFor(t, "the slow write to land", func() bool { return harness.Count(s.Log(t, topic), "v") == 1 })
			},
			want: []int{504}, copies: []int{1},
		},
		{
			name: "every pooled connection reset between two requests: no failed attempt visible",
			inject: func(t *testing.T, s *harness.Stack) {
				s.Proxy.KillAll()
			},
			want: []int{200}, copies: []int{1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, max(tc.brokers, 1), nil)
			tc.inject(t, s)
			r := produce(t, s, &p0, "v")
			if !slices.Contains(tc.want, r.Status) {
				t.Fatalf("status %d, want one of %v: %s", r.Status, tc.want, r.Body)
			}
			if r.Status >= 500 {
				checkFailure(t, r)
			}
			claims, err := harness.Claims([]string{"v"}, r.Body)
			if err != nil && r.Status == 200 {
				t.Fatal(err)
			}
			if tc.heal != nil {
				tc.heal(t, s)
			}
			after := produce(t, s, &p0, "after")
			if after.Status != http.StatusOK {
				t.Fatalf("the request after the fault: %d %s", after.Status, after.Body)
			}
			more, err := harness.Claims([]string{"after"}, after.Body)
			if err != nil {
				t.Fatal(err)
			}
			log := s.Log(t, topic)
			harness.CheckClaims(t, log, append(claims, more...))
			if n := harness.Count(log, "v"); !slices.Contains(tc.copies, n) {
				t.Errorf("the log holds %d copies of the record, want %v", n, tc.copies)
			}
		})
	}
}

// slow holds the next request of kind key at the broker until release is called (or a
// minute has passed): past the request deadline (2 s) however late a loaded machine runs the
// client's timers. The test releases it before the cluster closes.
func slow(t *testing.T, s *harness.Stack, key kmsg.Key) (release func()) {
	done, stop := make(chan struct{}), make(chan struct{})
	var once, stopOnce sync.Once
	release = func() { stopOnce.Do(func() { close(stop) }) }
	s.Cluster.ControlKey(int16(key), func(kmsg.Request) (kmsg.Response, error, bool) {
		s.Cluster.DropControl()
		once.Do(func() {
			s.Cluster.SleepControl(func() {
				hold := time.NewTimer(time.Minute)
				defer hold.Stop()
				select {
				case <-hold.C:
				case <-stop:
				}
				close(done)
			})
		})
		return nil, nil, false
	})
	t.Cleanup(func() { release(); <-done })
	return release
}

func fault(s *harness.Stack, err *kerr.Error, count int) {
	s.Cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: err, Count: count})
}

// TestConsumeAndMetadataUnderFaults covers the read paths: they are idempotent, so a failed
// attempt on a broken connection or a stale leader is retried.
func TestConsumeAndMetadataUnderFaults(t *testing.T) {
	consume := "/v1/consumer/topics/" + topic + "/partitions/0/offsets/0?count=10"
	cases := []struct {
		name    string
		brokers int
		path    string
		inject  func(t *testing.T, s *harness.Stack)
		want    int
	}{
		{
			name: "fetch answered NOT_LEADER once is retried", path: consume, want: 200,
			inject: func(t *testing.T, s *harness.Stack) {
				s.Cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: topic, Err: kerr.NotLeaderForPartition})
			},
		},
		{
			name: "fetch after the leader moved is retried on the new leader", path: consume, want: 200, brokers: 3,
			inject: func(t *testing.T, s *harness.Stack) {
				old := s.Cluster.LeaderFor(topic, 0)
				if err := s.Cluster.MoveTopicPartition(topic, 0, (old+1)%3); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "fetch on a dropped connection is retried", path: consume, want: 200,
			inject: func(t *testing.T, s *harness.Stack) {
				s.Cluster.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
					s.Cluster.DropControl()
					return nil, errors.New("drop"), true
				})
			},
		},
		{
			name: "fetch slower than the request deadline is a 504", path: consume, want: 504,
			inject: func(t *testing.T, s *harness.Stack) {
				// Held until the test turns the delay off: far past the 2 s request deadline
				// however late a loaded machine runs the client's timers.
				s.Proxy.DelayResponses(time.Hour)
				t.Cleanup(func() { s.Proxy.DelayResponses(0) })
			},
		},
		{
			name: "metadata slower than the request deadline is a 504", path: "/v1/metadata/topics", want: 504,
			inject: func(t *testing.T, s *harness.Stack) {
				// Held until the test turns the delay off: far past the 2 s request deadline
				// however late a loaded machine runs the client's timers.
				s.Proxy.DelayResponses(time.Hour)
				t.Cleanup(func() { s.Proxy.DelayResponses(0) })
			},
		},
		{
			name: "metadata on a dropped connection is retried", path: "/v1/metadata/topics/" + topic + "/partitions", want: 200,
			inject: func(t *testing.T, s *harness.Stack) {
				s.Cluster.ControlKey(int16(kmsg.Metadata), func(kmsg.Request) (kmsg.Response, error, bool) {
					s.Cluster.DropControl()
					return nil, errors.New("drop"), true
				})
			},
		},
		{
			name: "consume while the broker is down is a retryable 503", path: consume, want: 503,
			inject: func(t *testing.T, s *harness.Stack) { s.Proxy.Down() },
		},
		{
			name: "metadata while the broker is down is a retryable 503", path: "/v1/metadata/topics", want: 503,
			inject: func(t *testing.T, s *harness.Stack) { s.Proxy.Down() },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, max(tc.brokers, 1), nil)
			tc.inject(t, s)
			r := do(t, s, "GET", tc.path, nil)
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
			if r.Status >= 500 {
				checkFailure(t, r)
			}
			s.Proxy.Up()
			s.Proxy.DelayResponses(0)
			// Let a slow control finish before the cluster closes (it holds the broker).
			waitFor(t, "the stack to answer again", func() bool {
				return do(t, s, "GET", tc.path, nil).Status == http.StatusOK
			})
		})
	}
}

// TestTopicDeletedAndRecreated deletes the topic behind kafkafn's back (its cached metadata
// still lists three partitions) and re-creates it with one.
func TestTopicDeletedAndRecreated(t *testing.T) {
	s := newStack(t, 1, nil)
	if err := s.Cluster.DeleteTopic(topic); err != nil {
		t.Fatal(err)
	}
	t.Run("produce to the deleted topic is a 404 unknown_topic", func(t *testing.T) {
		r := produce(t, s, nil, "gone")
		if r.Status != http.StatusNotFound {
			t.Fatalf("status %d, want 404: %s", r.Status, r.Body)
		}
	})
	if err := s.Cluster.CreateTopic(topic, 1, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("produce without a partition after the re-create succeeds on the new layout", func(t *testing.T) {
		for i := range 3 { // the sticky partition rotates: every stale choice is tried
			v := fmt.Sprintf("new-%d", i)
			r := produce(t, s, nil, v)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
			}
			claims, err := harness.Claims([]string{v}, r.Body)
			if err != nil {
				t.Fatal(err)
			}
			harness.CheckClaims(t, s.Log(t, topic), claims)
		}
	})
	t.Run("produce to a partition the new topic lacks is a 404 unknown_partition", func(t *testing.T) {
		p := int32(2)
		r := produce(t, s, &p, "nowhere")
		if r.Status != http.StatusNotFound {
			t.Fatalf("status %d, want 404: %s", r.Status, r.Body)
		}
	})
	t.Run("consume from the re-created topic starts at offset 0", func(t *testing.T) {
		r := do(t, s, "GET", "/v1/consumer/topics/"+topic+"/partitions/0/offsets/0?count=10", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
}

// TestFreezeThaw models a function container frozen between two invocations: when it thaws
// every pooled connection is dead. The first request after the thaw must succeed, within its
// deadline, with no failed attempt visible to the caller.
func TestFreezeThaw(t *testing.T) {
	const idle = time.Second // KAFKA_IDLE_TIMEOUT's minimum
	requests := []struct {
		name, method, path string
		body               any
	}{
		{"produce", "POST", "/v1/producer/topics/" + topic, harness.ProduceBody(&p0, "thawed")},
		{"consume", "GET", "/v1/consumer/topics/" + topic + "/partitions/0/offsets/0", nil},
		{"list topics", "GET", "/v1/metadata/topics", nil},
		{"partitions with offsets", "GET", "/v1/metadata/topics/" + topic + "/partitions", nil},
	}
	freezes := []struct {
		name   string
		freeze func(s *harness.Stack)
		sleep  time.Duration
	}{
		{"connections reset while frozen for less than KAFKA_IDLE_TIMEOUT", func(s *harness.Stack) { s.Proxy.KillAll() }, 0},
		{"connections silently dead after a freeze longer than KAFKA_IDLE_TIMEOUT", func(s *harness.Stack) { s.Proxy.FreezeAll() }, 2 * idle},
		{"connections reset after a freeze longer than KAFKA_IDLE_TIMEOUT", func(s *harness.Stack) { s.Proxy.KillAll() }, 2 * idle},
	}
	for _, f := range freezes {
		for _, rq := range requests {
			t.Run(rq.name+" after "+f.name, func(t *testing.T) {
				s := newStack(t, 1, map[string]string{"KAFKA_IDLE_TIMEOUT": idle.String()})
				// Keep the pools busy up to the freeze so the transport's own reaper has not
				// already closed them.
				f.freeze(s)
				time.Sleep(f.sleep)
				dials := s.Proxy.Accepted() // every connection the product dials crosses the proxy
				r := do(t, s, rq.method, rq.path, rq.body)
				if r.Status != http.StatusOK {
					t.Fatalf("first request after the thaw: %d %s", r.Status, r.Body)
				}
				if s.Proxy.Accepted() == dials {
					t.Errorf("no new connection was dialled after the thaw")
				}
				if rq.method == "POST" {
					claims, err := harness.Claims([]string{"thawed"}, r.Body)
					if err != nil {
						t.Fatal(err)
					}
					log := s.Log(t, topic)
					harness.CheckClaims(t, log, claims)
					if n := harness.Count(log, "thawed"); n != 1 {
						t.Errorf("the log holds %d copies, want 1", n)
					}
				}
			})
		}
	}
}

// TestPartialProduceFailure fails one partition of a two-partition produce: the answer is a
// retryable error that still names the offsets of the records Kafka acknowledged, and those
// offsets hold the records.
func TestPartialProduceFailure(t *testing.T) {
	s := newStack(t, 1, nil)
	s.Cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Partitions: []int32{1},
		Err: kerr.NotLeaderForPartition, Count: 2})
	one := int32(1)
	body := harness.ProduceBody(&p0, "to-0")
	body.Records = append(body.Records, harness.ProduceBody(&one, "to-1").Records...)
	r := do(t, s, "POST", "/v1/producer/topics/"+topic, body)
	checkFailure(t, r)
	var out harness.ErrorBody
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 2 || out.Records[0].Offset == nil || out.Records[1].Offset != nil || out.Records[1].Error == "" {
		t.Fatalf("want record 0 acknowledged and record 1 failed, got %s", r.Body)
	}
	if id := r.Header.Get("X-Request-Id"); id == "" || out.Error.RequestID != id {
		t.Errorf("the partial-failure body's request_id %q is not the X-Request-Id %q", out.Error.RequestID, id)
	}
	claims, err := harness.Claims([]string{"to-0", "to-1"}, r.Body)
	if err != nil {
		t.Fatal(err)
	}
	log := s.Log(t, topic)
	harness.CheckClaims(t, log, claims)
	if n := harness.Count(log, "to-1"); n != 0 {
		t.Errorf("the failed record is in the log %d times", n)
	}
}
