package httpio_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/metrics"
)

// BenchmarkServeMetrics is what metrics add to Serve's hot path (issue 13: "keep them cheap;
// the bench must not regress"): the same produce-shaped 204 route served with METRICS off,
// prometheus (counters in memory) and emf (one JSON line per request, to a discarding
// writer). The three are timed in alternating batches within each iteration, so a busy
// machine slows them alike, and the benchmark reports each one's ns/request and the ratios
// prometheus/off and emf/off. The whole produce route over HTTP is BenchmarkProduceMetrics
// in test/load.
func BenchmarkServeMetrics(b *testing.B) {
	modes := []string{metrics.ModeOff, metrics.ModePrometheus, metrics.ModeEMF}
	handlers := make([]http.Handler, len(modes))
	for i, mode := range modes {
		reg := metrics.New(metrics.Options{Mode: mode, Function: "produce", Out: discardWriter{}})
		mux := http.NewServeMux()
		mux.HandleFunc("POST /v1/producer/topics/{topic}", func(w http.ResponseWriter, r *http.Request) {
			httpio.NoteProduced(r, 2, 64, time.Millisecond)
			w.WriteHeader(http.StatusNoContent)
		})
		handlers[i] = httpio.Serve(mux, slog.New(slog.DiscardHandler), httpio.WithOps(httpio.Ops{TracePropagation: true}, reg))
	}
	r := httptest.NewRequest("POST", "/v1/producer/topics/orders", nil)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	const batch = 32
	spent := make([]time.Duration, len(modes))
	b.ReportAllocs()
	for b.Loop() {
		for i, h := range handlers {
			start := time.Now()
			for range batch {
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			spent[i] += time.Since(start)
		}
	}
	n := float64(b.N * batch)
	for i, mode := range modes {
		b.ReportMetric(float64(spent[i].Nanoseconds())/n, "ns/req-"+mode)
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "prometheus/off")
	b.ReportMetric(float64(spent[2])/float64(spent[0]), "emf/off")
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
