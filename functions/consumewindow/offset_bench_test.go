package consumewindow_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
)

// BenchmarkConsumeByOffset reads windows of count 1 KiB records through the consume route
// in-process against kfake: the broker fetches and the JSON answer.
func BenchmarkConsumeByOffset(b *testing.B) {
	for _, count := range []int{1, 100, 5800} {
		b.Run(fmt.Sprintf("count=%d", count), func(b *testing.B) {
			s := harness.Start(b, harness.Options{Cluster: []kfake.Opt{kfake.SeedTopics(1, "bench")}, NoOpenAPICheck: true, Platform: harness.None})
			v := strings.Repeat("0123456789abcdef", 64)
			p := int32(0)
			for done := 0; done < count; done += 500 {
				values := make([]string, min(500, count-done))
				for i := range values {
					values[i] = v
				}
				body, _ := json.Marshal(harness.ProduceBody(&p, values...))
				if rec := s.Serve("POST", "/v1/producer/topics/bench", body); rec.Code != http.StatusOK {
					b.Fatalf("seed: %d %s", rec.Code, rec.Body)
				}
			}
			path := fmt.Sprintf("/v1/consumer/topics/bench/partitions/0/offsets/0?count=%d", count)
			b.SetBytes(int64(count * len(v)))
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.Handler.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
