package produce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
)

// benchBody is an HDInsight produce body of n 1 KiB string values.
func benchBody(n int) []byte {
	v := strings.Repeat("0123456789abcdef", 64)
	values := make([]string, n)
	for i := range values {
		values[i] = v
	}
	b, _ := json.Marshal(harness.ProduceBody(nil, values...))
	return b
}

// benchCluster is the kfake cluster of the produce benchmarks: topic "bench", and segments of
// 4 MiB, as in scripts/bench (internal/benchrun benchBrokerConfigs): kfake grows a segment's
// in-memory buffer by doubling up to log.segment.bytes (100 MiB by default), and the produce
// that outgrows it waits while it copies the whole segment, which at N=500 dominated the
// time per op (kfake runs in the benchmark's process).
func benchCluster() []kfake.Opt {
	return []kfake.Opt{kfake.SeedTopics(1, "bench"), kfake.BrokerConfigs(map[string]string{"log.segment.bytes": "4194304"})}
}

// BenchmarkDecodeRecords is the encoding/json path the route used before DecodeBody (decode
// into ProduceRequest, then DecodeRecords), kept for comparison.
func BenchmarkDecodeRecords(b *testing.B) {
	benchDecode(b, func(body []byte) error {
		var req produce.ProduceRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return err
		}
		_, err := produce.DecodeRecords(req.Records, produce.EncodingJSON, 500)
		return err
	})
}

// BenchmarkDecodeBody is the route's decoding: one jsontext pass over the body (the
// successor of BenchmarkDecodeRecords's encoding/json decode plus conversion).
func BenchmarkDecodeBody(b *testing.B) {
	benchDecode(b, func(body []byte) error {
		_, err := produce.DecodeBody(body, produce.EncodingJSON, 500)
		return err
	})
}

// benchDecode runs decode over bodies of 1, 100 and 500 records.
func benchDecode(b *testing.B, decode func(body []byte) error) {
	for _, n := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			body := benchBody(n)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProduceHandler runs the HDInsight route in-process (no network to the handler)
// against kfake: decoding, the broker round trip and the answer. A fresh cluster per size
// keeps kfake's memory bounded.
func BenchmarkProduceHandler(b *testing.B) {
	for _, n := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			s := harness.Start(b, harness.Options{Cluster: benchCluster(), NoOpenAPICheck: true, Platform: harness.None})
			body := benchBody(n)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if rec := s.Serve("POST", "/v1/producer/topics/bench", body); rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkProduceLoopback is BenchmarkProduceHandler over loopback HTTP (an httptest
// server, one keep-alive client), as scripts/bench's "HTTP loopback" rows measure it.
func BenchmarkProduceLoopback(b *testing.B) {
	for _, n := range []int{1, 500} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			s := harness.Start(b, harness.Options{Cluster: benchCluster(), NoOpenAPICheck: true})
			body := benchBody(n)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("POST", s.URL+"/v1/producer/topics/bench", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkProduceVsRaw is one 1 KiB record to partition 0 of one kfake cluster, side by
// side in one loop (each iteration runs every variant once, so load from outside skews none
// of them): raw kafka-go Client.Produce configured as scripts/bench's raw row
// (internal/benchrun), broker.Client.Produce, the request and recorder alone (what the
// in-process cases build around the handler), and the route through the Azure adapter
// in-process as scripts/bench drives it. It reports each variant's mean and median; the ns/op
// is their sum. Each variant runs under a pprof label (v=raw, ...), which kafka-go's connection
// goroutine takes over from the context: -cpuprofile splits by variant with -tagfocus.
func BenchmarkProduceVsRaw(b *testing.B) {
	s := harness.Start(b, harness.Options{Cluster: benchCluster(), NoOpenAPICheck: true, Platform: harness.None})
	value := []byte(strings.Repeat("0123456789abcdef", 64))
	tr := &kafka.Transport{DialTimeout: s.Kafka.DialTimeout, IdleTimeout: s.Kafka.IdleTimeout, MetadataTTL: s.Kafka.MetadataTTL, ClientID: "bench-raw"}
	b.Cleanup(tr.CloseIdleConnections)
	raw := &kafka.Client{Addr: kafka.TCP(s.Kafka.Brokers...), Timeout: 30 * time.Second, Transport: tr}
	ah := azurefunc.Handler(s.App)
	body := benchBody(1)
	newReq := func(ctx context.Context) (*http.Request, *httptest.ResponseRecorder) {
		req := httptest.NewRequestWithContext(ctx, "POST", "/v1/producer/topics/bench", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:50000"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Azure-Functions-InvocationId", "bench")
		return req, httptest.NewRecorder()
	}
	srv := httptest.NewServer(s.Handler)
	b.Cleanup(srv.Close)
	nop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"offsets":[{"partition":0,"offset":1}]}`))
	}))
	b.Cleanup(nop.Close)
	var rawOp func(ctx context.Context) error
	rawSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if err := rawOp(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"offsets":[{"partition":0,"offset":1}]}`))
	}))
	b.Cleanup(rawSrv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	b.Cleanup(client.CloseIdleConnections)
	post := func(ctx context.Context, url string) error {
		req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}
	cases := []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"loopback", func(ctx context.Context) error { return post(ctx, srv.URL+"/v1/producer/topics/bench") }},
		{"http-only", func(ctx context.Context) error { return post(ctx, nop.URL) }},
		{"http+raw", func(ctx context.Context) error { return post(ctx, rawSrv.URL) }},
		{"raw", func(ctx context.Context) error {
			res, err := raw.Produce(ctx, &kafka.ProduceRequest{Topic: "bench", Partition: 0, RequiredAcks: kafka.RequireAll,
				Records: kafka.NewRecordReader(kafka.Record{Time: time.Now(), Value: kafka.NewBytes(value)})})
			if err == nil {
				err = res.Error
			}
			return err
		}},
		{"broker", func(ctx context.Context) error {
			_, err := s.Broker.Produce(ctx, "bench", []broker.Record{{Partition: 0, Value: value}})
			return err
		}},
		{"request", func(ctx context.Context) error {
			_, _ = newReq(ctx)
			return nil
		}},
		{"azure", func(ctx context.Context) error {
			req, rec := newReq(ctx)
			ah.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("%d %s", rec.Code, rec.Body)
			}
			return nil
		}},
	}
	for _, tc := range cases {
		if tc.name == "raw" {
			rawOp = tc.op
		}
	}
	ctxs := make([]context.Context, len(cases))
	for i, tc := range cases {
		ctxs[i] = pprof.WithLabels(context.Background(), pprof.Labels("v", tc.name))
		if err := tc.op(ctxs[i]); err != nil { // warm-up
			b.Fatal(err)
		}
	}
	spent := make([][]time.Duration, len(cases))
	for b.Loop() {
		for i, tc := range cases {
			pprof.SetGoroutineLabels(ctxs[i])
			start := time.Now()
			if err := tc.op(ctxs[i]); err != nil {
				b.Fatal(err)
			}
			spent[i] = append(spent[i], time.Since(start))
		}
	}
	pprof.SetGoroutineLabels(context.Background())
	for i, tc := range cases {
		var sum time.Duration
		for _, d := range spent[i] {
			sum += d
		}
		slices.Sort(spent[i])
		b.ReportMetric(float64(sum.Microseconds())/float64(len(spent[i])), tc.name+"-mean-µs")
		b.ReportMetric(float64(spent[i][len(spent[i])/2].Nanoseconds())/1e3, tc.name+"-p50-µs")
	}
}
