package produce_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/harness"
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
