package load_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
)

var (
	requests    = flag.Int("load.requests", 6000, "requests in the load run (the long form: 100000)")
	duration    = flag.Duration("load.duration", 20*time.Second, "upper bound on the load run's duration")
	concurrency = flag.Int("load.concurrency", 64, "concurrent clients")
)

const (
	topic      = "load"
	partitions = 4
)

// claim is one acknowledged record: where the response said it is.
type claim struct {
	partition int
	offset    int64
	value     string
}

// TestLoopbackLoad runs a bounded mixed load (produce, consume, metadata) against the local
// HTTP server over loopback and checks: zero errors, every acknowledged record exactly once
// and exactly where reported, reads that agree with the log, and goroutines, file
// descriptors and heap back to flat after the run.
func TestLoopbackLoad(t *testing.T) {
	// The local platform's own server over loopback.
	s := harness.Start(t, harness.Options{Cluster: []kfake.Opt{kfake.SeedTopics(partitions, topic)}, Platform: harness.Local, NoOpenAPICheck: true})
	base := s.URL
	tr := &http.Transport{MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: *concurrency}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// Warm-up: connections, metadata and the runtime's own pools exist before the baseline.
	r := &runner{name: "warm", base: base, client: client}
	r.run(t, 200, time.Minute)
	// Footprints are compared with every pool emptied (kafkafn's Kafka connections and the
	// HTTP client's): what is left is what the process holds for good.
	tr.CloseIdleConnections()
	s.App.Close() // the product's broker client: its pooled connections
	before := stable(t)

	r = &runner{name: "load", base: base, client: client}
	start := time.Now()
	r.run(t, *requests, *duration)
	elapsed := time.Since(start)
	t.Logf("%d requests (%d produce, %d consume, %d metadata) at %d concurrency in %v: %.0f req/s",
		r.done.Load(), r.produces.Load(), r.consumes.Load(), r.metadata.Load(), *concurrency, elapsed.Round(time.Millisecond),
		float64(r.done.Load())/elapsed.Seconds())
	if n := r.errors.Load(); n > 0 {
		t.Fatalf("%d requests failed; first: %s", n, r.firstError.Load())
	}

	// Every acknowledged record is in the log exactly once, where the response said.
	log := s.Log(t, topic)
	seen := map[string]int{}
	for _, recs := range log {
		for _, v := range recs {
			seen[v]++
		}
	}
	r.mu.Lock()
	claims := r.claims
	r.mu.Unlock()
	for _, c := range claims {
		if got := log[c.partition][c.offset]; got != c.value {
			t.Errorf("acknowledged %q at %d/%d, the log holds %q", c.value, c.partition, c.offset, got)
		}
		if seen[c.value] != 1 {
			t.Errorf("acknowledged %q is in the log %d times", c.value, seen[c.value])
		}
	}
	// Every record a consume returned is the log's record at that offset.
	for _, c := range r.reads {
		if got := log[c.partition][c.offset]; got != c.value {
			t.Errorf("consume returned %q at %d/%d, the log holds %q", c.value, c.partition, c.offset, got)
		}
	}

	tr.CloseIdleConnections()
	s.App.Close() // the product's broker client: its pooled connections
	after := settle(t, before)
	t.Logf("before: %v; after: %v", before, after)
	if after.goroutines > before.goroutines+4 {
		t.Errorf("goroutines grew from %d to %d", before.goroutines, after.goroutines)
	}
	if before.fds >= 0 && after.fds > before.fds+4 {
		t.Errorf("open file descriptors grew from %d to %d", before.fds, after.fds)
	}
	// kfake keeps every record in this process's heap: allow for the data written (with
	// kfake's overhead), nothing else.
	stored := r.bytes.Load()
	if limit := before.heap + 16*uint64(stored) + 32<<20; after.heap > limit {
		t.Errorf("heap grew from %d to %d bytes for %d bytes of records written (limit %d)", before.heap, after.heap, stored, limit)
	}
}

type runner struct {
	name   string // prefixes every value: values of different runs never collide
	base   string
	client *http.Client

	done, produces, consumes, metadata, errors atomic.Int64
	bytes                                      atomic.Int64
	firstError                                 atomic.Value

	mu     sync.Mutex
	claims []claim
	reads  []claim
	acked  [partitions]atomic.Int64 // highest acknowledged offset + 1 per partition
}

func (r *runner) fail(format string, args ...any) {
	r.errors.Add(1)
	r.firstError.CompareAndSwap(nil, fmt.Sprintf(format, args...))
}

// run sends n requests from *concurrency workers, stopping early after d.
func (r *runner) run(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range *concurrency {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				i := next.Add(1)
				if i > int64(n) || time.Now().After(deadline) {
					return
				}
				switch x := rnd.IntN(10); {
				case x < 6:
					r.produce(rnd, fmt.Sprintf("%s-w%d-%d", r.name, w, i))
				case x < 9:
					r.consume(rnd)
				default:
					r.meta(rnd)
				}
				r.done.Add(1)
			}
		})
	}
	wg.Wait()
}

func (r *runner) do(method, path string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequest(method, r.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := r.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func (r *runner) produce(rnd *rand.Rand, id string) {
	r.produces.Add(1)
	n := 1 + rnd.IntN(10)
	values := make([]string, n)
	size := 0
	for i := range values {
		values[i] = id + "-" + strings.Repeat("x", rnd.IntN(200)) + fmt.Sprint(i)
		size += len(values[i])
	}
	var partition *int32
	if rnd.IntN(2) == 0 {
		p := int32(rnd.IntN(partitions))
		partition = &p
	}
	b, _ := json.Marshal(harness.ProduceBody(partition, values...))
	status, body, err := r.do("POST", "/v1/producer/topics/"+topic, strings.NewReader(string(b)))
	if err != nil || status != http.StatusOK {
		r.fail("produce: %d %v %s", status, err, body)
		return
	}
	claims, err := harness.Claims(values, body)
	if err != nil || len(claims) != n {
		r.fail("produce answer: %v (%d of %d records acknowledged)", err, len(claims), n)
		return
	}
	r.bytes.Add(int64(size))
	r.mu.Lock()
	for _, c := range claims {
		r.claims = append(r.claims, claim{partition: c.Partition, offset: c.Offset, value: c.Value})
	}
	r.mu.Unlock()
	for _, c := range claims {
		for {
			cur := r.acked[c.Partition].Load()
			if c.Offset+1 <= cur || r.acked[c.Partition].CompareAndSwap(cur, c.Offset+1) {
				break
			}
		}
	}
}

func (r *runner) consume(rnd *rand.Rand) {
	r.consumes.Add(1)
	p := rnd.IntN(partitions)
	end := r.acked[p].Load()
	from := int64(0)
	if end > 0 {
		from = rnd.Int64N(end)
	}
	status, body, err := r.do("GET", fmt.Sprintf("/v1/consumer/topics/%s/partitions/%d/offsets/%d?count=10", topic, p, from), nil)
	if err != nil || status != http.StatusOK {
		r.fail("consume: %d %v %s", status, err, body)
		return
	}
	var out struct {
		Records []struct {
			Partition int     `json:"partition"`
			Offset    int64   `json:"offset"`
			Value     *string `json:"value"`
		} `json:"records"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		r.fail("consume answer: %v", err)
		return
	}
	if end > from && len(out.Records) == 0 {
		r.fail("consume %d/%d returned nothing below the acknowledged end %d", p, from, end)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range out.Records {
		if rec.Value == nil {
			r.fail("consume %d/%d: a null value", rec.Partition, rec.Offset)
			return
		}
		r.reads = append(r.reads, claim{partition: rec.Partition, offset: rec.Offset, value: *rec.Value})
	}
}

func (r *runner) meta(rnd *rand.Rand) {
	r.metadata.Add(1)
	path := "/v1/metadata/topics"
	if rnd.IntN(2) == 0 {
		path += "/" + topic + "/partitions"
	}
	status, body, err := r.do("GET", path, nil)
	if err != nil || status != http.StatusOK {
		r.fail("metadata %s: %d %v %s", path, status, err, body)
	}
}

// usage is the process's footprint.
type usage struct {
	goroutines int
	fds        int // -1 where /proc is not available
	heap       uint64
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, %d fds, %d MiB heap", u.goroutines, u.fds, u.heap>>20)
}

func measure(t *testing.T) usage {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds := -1
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = len(ents)
	}
	return usage{goroutines: runtime.NumGoroutine(), fds: fds, heap: ms.HeapAlloc}
}

// stable measures until two measurements 100 ms apart agree (closed connections have wound
// down), or 5 s have passed.
func stable(t *testing.T) usage {
	t.Helper()
	prev := measure(t)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		u := measure(t)
		if u.goroutines == prev.goroutines && u.fds == prev.fds {
			return u
		}
		prev = u
	}
	return prev
}

// settle measures until goroutines and fds are back near before, or 10 s have passed.
func settle(t *testing.T, before usage) usage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		u := measure(t)
		if (u.goroutines <= before.goroutines+4 && u.fds <= before.fds+4) || time.Now().After(deadline) {
			return u
		}
		time.Sleep(50 * time.Millisecond)
	}
}
