package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// TestPeerHandler checks that the peer really produces what it is given (it would
// otherwise be a fast stub to compare with) and refuses a malformed body.
func TestPeerHandler(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "peer"))
	h, closePeer, err := peerHandler(c.ListenAddrs())
	if err != nil {
		t.Fatal(err)
	}
	defer closePeer()
	srv := httptest.NewServer(h)
	defer srv.Close()

	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"three records", string(produceBody(3)), http.StatusOK},
		{"malformed body", `{"records":[`, http.StatusBadRequest},
		{"no records", `{"records":[]}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Post(srv.URL+"/v1/producer/topics/peer", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			data, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, data)
			}
			if tt.status != http.StatusOK {
				return
			}
			var out struct {
				Offsets []struct{ Partition, Offset int64 }
			}
			if err := json.Unmarshal(data, &out); err != nil || len(out.Offsets) != 3 {
				t.Fatalf("answer %s (%v)", data, err)
			}
			for i, o := range out.Offsets {
				if o.Partition != 0 || o.Offset != int64(i) {
					t.Errorf("offset %d = %+v", i, o)
				}
			}
		})
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("peer"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []*kgo.Record
	for len(got) < 3 && ctx.Err() == nil {
		got = append(got, cl.PollFetches(ctx).Records()...)
	}
	if len(got) != 3 {
		t.Fatalf("the log has %d records, want 3", len(got))
	}
	for _, r := range got {
		// The peer stores each value as the raw JSON it arrived as.
		if string(r.Value) != `"`+value1K+`"` {
			t.Errorf("record %d value %.40q…", r.Offset, r.Value)
		}
	}
}

// TestMeasureSideBySide checks that every op gets its turns and its samples.
func TestMeasureSideBySide(t *testing.T) {
	var calls [3]int
	ops := make([]func(context.Context) error, len(calls))
	for i := range ops {
		ops[i] = func(context.Context) error { calls[i]++; time.Sleep(100 * time.Microsecond); return nil }
	}
	ss, err := measureSideBySide(context.Background(), 120*time.Millisecond, ops)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range ss {
		if s.ops == 0 || s.ops != len(s.lat) || s.elapsed < 100*time.Millisecond || calls[i] < s.ops+50 {
			t.Errorf("op %d: %d ops, %d latencies, %v, %d calls", i, s.ops, len(s.lat), s.elapsed, calls[i])
		}
	}
}
