package load_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
)

// BenchmarkProduceMetrics is the whole produce route (HTTP on the local platform's server,
// Kafka on kfake) with METRICS=off and METRICS=prometheus, the local default (issue 13: the
// bench must not regress with metrics on). The two stacks are driven in alternating batches
// within each iteration, so a busy machine slows them alike; the benchmark reports each
// one's ns/request and the ratio prometheus/off. (EMF writes to the process's stdout; its
// cost on Serve's path is BenchmarkServeMetrics in shared/httpio.)
//
//	go test ./test/load -run '^$' -bench ProduceMetrics -count 5
func BenchmarkProduceMetrics(b *testing.B) {
	modes := []string{"off", "prometheus"}
	stacks := make([]*harness.Stack, len(modes))
	for i, mode := range modes {
		stacks[i] = harness.Start(b, harness.Options{Cluster: []kfake.Opt{kfake.SeedTopics(1, "orders")},
			Platform: harness.Local, NoOpenAPICheck: true, Env: map[string]string{"METRICS": mode}})
	}
	if stacks[1].Do(b, "GET", "/metrics", "").Status != http.StatusOK || stacks[0].Do(b, "GET", "/metrics", "").Status != http.StatusNotFound {
		b.Fatal("METRICS did not configure the stacks")
	}
	const body = `{"records":[{"key":"user-1","value":"hello"},{"value":{"amount":12.5}}]}`
	produce := func(s *harness.Stack) {
		if r := s.Do(b, "POST", "/v1/producer/topics/orders", body); r.Status != http.StatusOK {
			b.Fatalf("produce answered %d %s", r.Status, r.Body)
		}
	}
	for _, s := range stacks { // connections and metadata warm
		for range 20 {
			produce(s)
		}
	}
	const batch = 8
	spent := make([]time.Duration, len(modes))
	for b.Loop() {
		for i, s := range stacks {
			start := time.Now()
			for range batch {
				produce(s)
			}
			spent[i] += time.Since(start)
		}
	}
	n := float64(b.N * batch)
	for i, mode := range modes {
		b.ReportMetric(float64(spent[i].Nanoseconds())/n, "ns/req-"+mode)
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "prometheus/off")
}
