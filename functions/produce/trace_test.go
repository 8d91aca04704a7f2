package produce_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

const (
	testTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	testTraceState  = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
)

// TestTraceContextCrossesKafka: a traceparent/tracestate sent with a produce request comes
// back as record headers in a consume answer; a record's own traceparent wins; an invalid
// traceparent adds nothing.
func TestTraceContextCrossesKafka(t *testing.T) {
	s := harness.Start(t, harness.Options{Cluster: []kfake.Opt{kfake.SeedTopics(1, "orders")}, NoOpenAPICheck: true})
	produce := func(t *testing.T, header map[string]string, body string) int64 {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.Server.URL+"/v1/producer/topics/orders", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := s.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct{ Records []struct{ Offset *int64 } }
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || out.Records[0].Offset == nil {
			t.Fatalf("produce: %d %v %+v", res.StatusCode, err, out)
		}
		return *out.Records[0].Offset
	}
	consume := func(t *testing.T, offset int64) []consumewindow.Header {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		res, err := s.Send(ctx, "GET", fmt.Sprintf("/v1/consumer/topics/orders/partitions/0/offsets/%d?count=1", offset), nil)
		var out consumewindow.ConsumeResponse
		if err != nil || res.Status != 200 || json.Unmarshal(res.Body, &out) != nil || len(out.Records) != 1 {
			t.Fatalf("consume: %v %d %s", err, res.Status, res.Body)
		}
		return out.Records[0].Headers
	}
	tests := []struct {
		name   string
		header map[string]string
		body   string
		want   []consumewindow.Header
	}{
		{name: "traceparent and tracestate become record headers",
			header: map[string]string{"traceparent": testTraceParent, "tracestate": testTraceState},
			body:   `{"records":[{"value":"a","headers":{"app":"x"}}]}`,
			want:   []consumewindow.Header{{Key: "app", Value: "x"}, {Key: "traceparent", Value: testTraceParent}, {Key: "tracestate", Value: testTraceState}}},
		{name: "a record's own traceparent is kept",
			header: map[string]string{"traceparent": testTraceParent},
			body:   `{"records":[{"value":"b","headers":{"traceparent":"00-11111111111111111111111111111111-2222222222222222-00"}}]}`,
			want:   []consumewindow.Header{{Key: "traceparent", Value: "00-11111111111111111111111111111111-2222222222222222-00"}}},
		{name: "an invalid traceparent adds nothing, nor its tracestate",
			header: map[string]string{"traceparent": "00-zz-00f067aa0ba902b7-01", "tracestate": testTraceState},
			body:   `{"records":[{"value":"c"}]}`,
			want:   []consumewindow.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := consume(t, produce(t, tt.header, tt.body))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("record headers %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTraceContextInSendMessageAndWebhooks: the CKafka SendMessage and webhook routes add
// the same record headers, and SendMessage's RequestId is the request id.
func TestTraceContextInSendMessageAndWebhooks(t *testing.T) {
	t.Run("SendMessage", func(t *testing.T) {
		s := startCKafka(t, ckEnv, nil, kfake.SeedTopics(1, "orders"))
		status, hdr, resp := s.rawSend(t, `{"DataHubId":"datahub-orders","Message":[{"Body":"hello"}]}`,
			map[string]string{"traceparent": testTraceParent, "X-Request-Id": "client-req-7"}, true, time.Now())
		if status != 200 || resp["Error"] != nil {
			t.Fatalf("%d %v", status, resp)
		}
		if resp["RequestId"] != "client-req-7" || hdr.Get(httpio.RequestIDHeader) != "client-req-7" {
			t.Errorf("RequestId %v, X-Request-Id %q: want the request id in both", resp["RequestId"], hdr.Get(httpio.RequestIDHeader))
		}
		w, err := s.Broker.Fetch(t.Context(), "orders", 0, 0, 1, 1<<20)
		if err != nil || len(w.Messages) != 1 {
			t.Fatal(err)
		}
		hs := w.Messages[0].Headers
		if len(hs) != 1 || hs[0].Key != "traceparent" || string(hs[0].Value) != testTraceParent {
			t.Fatalf("record headers %v", hs)
		}
	})
	t.Run("a SendMessage error envelope carries the request id", func(t *testing.T) {
		s := startCKafka(t, ckEnv, nil, kfake.SeedTopics(1, "orders"))
		_, hdr, resp := s.rawSend(t, `{"DataHubId":"datahub-nope","Message":[{"Body":"hello"}]}`, nil, true, time.Now())
		if resp["Error"] == nil || resp["RequestId"] != hdr.Get(httpio.RequestIDHeader) || hdr.Get(httpio.RequestIDHeader) == "" {
			t.Fatalf("%v %v", resp, hdr)
		}
	})
	t.Run("webhook", func(t *testing.T) {
		s := startWebhooks(t, 1<<20)
		d := githubExample()
		d.header.Set("traceparent", testTraceParent)
		d.header.Set("tracestate", testTraceState)
		status, body := s.post(t, d)
		if status != http.StatusAccepted {
			t.Fatalf("%d %s", status, body)
		}
		var out struct {
			Partition int
			Offset    int64
		}
		_ = json.Unmarshal(body, &out)
		rec := readRecord(t, s.Cluster, "github-events", out.Partition, out.Offset)
		got := map[string]string{}
		for _, h := range rec.Headers {
			got[h.Key] = string(h.Value)
		}
		if got["traceparent"] != testTraceParent || got["tracestate"] != testTraceState {
			t.Fatalf("record headers %v", got)
		}
	})
}
