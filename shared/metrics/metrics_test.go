package metrics_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/metrics"
	"github.com/kafkafn/kafkafn/shared/metrics/metricstest"
)

var observations = []metrics.Observation{
	{Route: "POST /v1/producer/topics/{topic}", Status: 200, Duration: 3 * time.Millisecond, RequestID: "r-1",
		RecordsProduced: 2, BytesProduced: 40, KafkaCalls: 1, KafkaLatency: 2 * time.Millisecond},
	{Route: "POST /v1/producer/topics/{topic}", Status: 503, ErrorCode: "kafka_unavailable", Duration: 2 * time.Second,
		KafkaCalls: 1, KafkaLatency: 1900 * time.Millisecond},
	{Route: "GET /v1/consumer/topics/{topic}/partitions/{partition}/offsets/{offset}", Status: 200,
		Duration: 20 * time.Millisecond, RecordsConsumed: 5, BytesConsumed: 500, KafkaCalls: 1, KafkaLatency: 15 * time.Millisecond},
	{Route: "", Status: 404, ErrorCode: "route_not_found", Duration: time.Microsecond},
	{Route: `GET /odd/"quoted"\path` + "\n", Status: 200, Duration: 30 * time.Second}, // escaping and the +Inf bucket
}

func TestEMFLinesParseAsEMF(t *testing.T) {
	var out logtest.Buffer
	reg := metrics.New(metrics.Options{Mode: metrics.ModeEMF, Function: "produce", Out: &out})
	for _, o := range observations {
		reg.Observe(o)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(observations) {
		t.Fatalf("%d lines for %d requests:\n%s", len(lines), len(observations), out.String())
	}
	for i, line := range lines {
		e, err := metricstest.ParseEMF(line)
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i, err, line)
		}
		o := observations[i]
		if e.Directives[0].Namespace != "kafkafn" || e.Root["Function"] != "produce" || e.Number("Requests") != 1 {
			t.Errorf("line %d: %s", i, line)
		}
		wantRoute := o.Route
		if wantRoute == "" {
			wantRoute = metrics.UnmatchedRoute
		}
		if e.Root["Route"] != wantRoute {
			t.Errorf("line %d: Route %q, want %q", i, e.Root["Route"], wantRoute)
		}
		if got := e.Number("RecordsProduced"); got != float64(o.RecordsProduced) {
			t.Errorf("line %d: RecordsProduced %v", i, got)
		}
		if got := e.Number("BytesConsumed"); got != float64(o.BytesConsumed) {
			t.Errorf("line %d: BytesConsumed %v", i, got)
		}
		if got, want := e.Number("KafkaLatency"), float64(o.KafkaLatency.Microseconds())/1000; got != want {
			t.Errorf("line %d: KafkaLatency %v, want %v", i, got, want)
		}
		if o.ErrorCode != "" {
			if len(e.Directives) != 2 || e.Root["ErrorCode"] != o.ErrorCode || e.Number("Errors") != 1 ||
				strings.Join(e.Directives[1].Dimensions[0], ",") != "Function,Route,ErrorCode" {
				t.Errorf("line %d: errors by code missing: %s", i, line)
			}
		} else if len(e.Directives) != 1 || e.Number("Errors") != 0 {
			t.Errorf("line %d: %s", i, line)
		}
		for _, d := range e.Directives {
			for _, set := range d.Dimensions {
				for _, k := range set {
					if k == "request_id" {
						t.Errorf("line %d: the request id must not be a dimension", i)
					}
				}
			}
		}
	}
	if e, _ := metricstest.ParseEMF(lines[0]); e.Root["request_id"] != "r-1" {
		t.Errorf("the request id is not a log field: %s", lines[0])
	}
}

func TestEMFCheckerRefusesBrokenLines(t *testing.T) {
	ok := `{"_aws":{"Timestamp":1574109732004,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["F"]],"Metrics":[{"Name":"time","Unit":"Milliseconds"}]}]},"F":"x","time":100}`
	if _, err := metricstest.ParseEMF(ok); err != nil {
		t.Fatalf("the specification's example: %v", err)
	}
	for name, line := range map[string]string{
		"declared metric missing": strings.Replace(ok, `"time":100`, `"other":100`, 1),
		"metric not a number":     strings.Replace(ok, `"time":100`, `"time":"100"`, 1),
		"dimension missing":       strings.Replace(ok, `"F":"x"`, `"G":"x"`, 1),
		"seconds timestamp":       strings.Replace(ok, "1574109732004", "1574109732", 1),
		"bad unit":                strings.Replace(ok, "Milliseconds", "ms", 1),
		"trailing data":           ok + "{}",
		"no _aws":                 `{"time":1}`,
	} {
		if _, err := metricstest.ParseEMF(line); err == nil {
			t.Errorf("%s: accepted %s", name, line)
		}
	}
}

func TestPrometheusTextParses(t *testing.T) {
	reg := metrics.New(metrics.Options{Mode: metrics.ModePrometheus})
	for _, o := range observations {
		reg.Observe(o)
	}
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != metrics.ContentType {
		t.Fatalf("Content-Type %q", ct)
	}
	fams, err := metricstest.ParsePrometheus(buf.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	find := func(family, name string, labels map[string]string) float64 {
		t.Helper()
		f := fams[family]
		if f == nil {
			t.Fatalf("no family %s", family)
		}
	next:
		for _, s := range f.Samples {
			if s.Name != name {
				continue
			}
			for k, v := range labels {
				if s.Labels[k] != v {
					continue next
				}
			}
			return s.Value
		}
		t.Fatalf("no sample %s%v", name, labels)
		return 0
	}
	const produce = "POST /v1/producer/topics/{topic}"
	checks := []struct {
		family, name string
		labels       map[string]string
		want         float64
	}{
		{"kafkafn_http_requests_total", "kafkafn_http_requests_total", map[string]string{"route": produce, "status": "200"}, 1},
		{"kafkafn_http_requests_total", "kafkafn_http_requests_total", map[string]string{"route": produce, "status": "503"}, 1},
		{"kafkafn_http_errors_total", "kafkafn_http_errors_total", map[string]string{"route": produce, "code": "kafka_unavailable"}, 1},
		{"kafkafn_http_errors_total", "kafkafn_http_errors_total", map[string]string{"route": "unmatched", "code": "route_not_found"}, 1},
		{"kafkafn_records_produced_total", "kafkafn_records_produced_total", map[string]string{"route": produce}, 2},
		{"kafkafn_produced_bytes_total", "kafkafn_produced_bytes_total", map[string]string{"route": produce}, 40},
		{"kafkafn_records_consumed_total", "kafkafn_records_consumed_total", map[string]string{"route": observations[2].Route}, 5},
		{"kafkafn_kafka_latency_seconds", "kafkafn_kafka_latency_seconds_count", map[string]string{"route": produce}, 2},
		{"kafkafn_kafka_latency_seconds", "kafkafn_kafka_latency_seconds_bucket", map[string]string{"route": produce, "le": "0.005"}, 1},
		{"kafkafn_kafka_latency_seconds", "kafkafn_kafka_latency_seconds_bucket", map[string]string{"route": produce, "le": "2.5"}, 2},
		{"kafkafn_http_request_duration_seconds", "kafkafn_http_request_duration_seconds_bucket", map[string]string{"route": observations[4].Route, "le": "10"}, 0},
		{"kafkafn_http_request_duration_seconds", "kafkafn_http_request_duration_seconds_bucket", map[string]string{"route": observations[4].Route, "le": "+Inf"}, 1},
		{"kafkafn_http_request_duration_seconds", "kafkafn_http_request_duration_seconds_sum", map[string]string{"route": observations[4].Route}, 30},
	}
	for _, c := range checks {
		if got := find(c.family, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, f := range fams {
		if f.Type == "counter" && !strings.HasSuffix(f.Name, "_total") {
			t.Errorf("counter %s does not end in _total", f.Name)
		}
	}
}

func TestPrometheusParserRefusesBrokenText(t *testing.T) {
	for name, text := range map[string]string{
		"no final newline":   "# TYPE a counter\na 1",
		"sample before TYPE": "a_total 1\n# TYPE a_total counter\n",
		"bad escape":         "# TYPE a counter\na{l=\"\\x\"} 1\n",
		"duplicate series":   "# TYPE a counter\na{l=\"1\"} 1\na{l=\"1\"} 2\n",
		"no +Inf bucket":     "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
		"not cumulative":     "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"split family":       "# TYPE a counter\na 1\n# TYPE b counter\nb 1\n# HELP a x\n",
		"bad value":          "# TYPE a counter\na one\n",
	} {
		if _, err := metricstest.ParsePrometheus(text); err == nil {
			t.Errorf("%s: accepted %q", name, text)
		}
	}
}

func TestOffCountsNothing(t *testing.T) {
	var reg *metrics.Registry = metrics.New(metrics.Options{Mode: metrics.ModeOff})
	if reg != nil || reg.Handler() != nil || reg.Prometheus() {
		t.Fatal("METRICS=off must give no registry and no handler")
	}
	reg.Observe(observations[0]) // a nil registry is a no-op
	var buf bytes.Buffer
	reg.WritePrometheus(&buf)
	if buf.Len() != 0 {
		t.Fatal(buf.String())
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	reg := metrics.New(metrics.Options{Mode: metrics.ModePrometheus})
	o := observations[1]
	reg.Observe(o)
	if n := testing.AllocsPerRun(100, func() { reg.Observe(o) }); n != 0 {
		t.Fatalf("Observe allocates %v times per request", n)
	}
}

func BenchmarkObservePrometheus(b *testing.B) {
	reg := metrics.New(metrics.Options{Mode: metrics.ModePrometheus})
	o := observations[0]
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			reg.Observe(o)
		}
	})
}

func BenchmarkObserveEMF(b *testing.B) {
	reg := metrics.New(metrics.Options{Mode: metrics.ModeEMF, Function: "produce", Out: discard{}})
	o := observations[1]
	b.ReportAllocs()
	for b.Loop() {
		reg.Observe(o)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestConcurrentObserveAndScrape(t *testing.T) {
	reg := metrics.New(metrics.Options{Mode: metrics.ModePrometheus})
	done := make(chan struct{})
	for i := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range 500 {
				o := observations[(i+j)%len(observations)]
				reg.Observe(o)
			}
		}()
	}
	for range 20 {
		var buf bytes.Buffer
		reg.WritePrometheus(&buf)
		if _, err := metricstest.ParsePrometheus(buf.String()); err != nil && buf.Len() > 0 {
			t.Fatalf("a scrape during observations: %v", err)
		}
	}
	for range 4 {
		<-done
	}
	var buf bytes.Buffer
	reg.WritePrometheus(&buf)
	if !strings.Contains(buf.String(), `kafkafn_http_request_duration_seconds_count{route="POST /v1/producer/topics/{topic}"} 800`) {
		t.Fatalf("lost observations:\n%s", buf.String())
	}
}
