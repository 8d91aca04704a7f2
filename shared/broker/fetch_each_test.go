package broker_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// TestFetchEachSeesFetchsRecords reads a window of many fetch requests (pipelined) both
// ways: FetchEach hands over exactly the records Fetch returns, and ends where its visitor
// says.
func TestFetchEachSeesFetchsRecords(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "t"))
	bc := c.Client(t)
	for batch := range 6 {
		var recs []broker.Record
		for i := range 500 {
			recs = append(recs, broker.Record{Partition: 0, Key: fmt.Appendf(nil, "k%d", batch*500+i), Value: bytes.Repeat([]byte{'a' + byte(i%26)}, 1000),
				Headers: []broker.Header{{Key: "i", Value: fmt.Appendf(nil, "%d", i)}}})
		}
		if _, err := bc.Produce(ctx(t), "t", recs); err != nil {
			t.Fatal(err)
		}
	}
	want, err := bc.Fetch(ctx(t), "t", 0, 7, 2900, 6<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Messages) != 2900 || want.Next != 2907 {
		t.Fatalf("Fetch: %d records, next %d", len(want.Messages), want.Next)
	}
	var got []broker.Message
	w, err := bc.FetchEach(ctx(t), "t", 0, 7, 2900, 6<<20, nil, func(m *broker.Message) bool {
		c := *m
		c.Key, c.Value = bytes.Clone(m.Key), bytes.Clone(m.Value)
		c.Headers = append([]broker.Header(nil), m.Headers...)
		got = append(got, c)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.Next != want.Next || w.HighWatermark != want.HighWatermark || len(w.Messages) != 0 || len(got) != len(want.Messages) {
		t.Fatalf("FetchEach: %d records, next %d, hw %d; want %d, %d, %d", len(got), w.Next, w.HighWatermark, len(want.Messages), want.Next, want.HighWatermark)
	}
	for i := range got {
		g, m := got[i], want.Messages[i]
		if g.Offset != m.Offset || !bytes.Equal(g.Key, m.Key) || !bytes.Equal(g.Value, m.Value) || !g.Time.Equal(m.Time) ||
			len(g.Headers) != 1 || g.Headers[0].Key != "i" || !bytes.Equal(g.Headers[0].Value, m.Headers[0].Value) {
			t.Fatalf("record %d: got %+v, want %+v", i, g, m)
		}
	}
	n := 0
	w, err = bc.FetchEach(ctx(t), "t", 0, 0, 3000, 6<<20, nil, func(m *broker.Message) bool {
		n++
		return m.Offset < 1234
	})
	if err != nil || n != 1235 || w.Next != 1235 {
		t.Fatalf("stopped window: %d records, next %d, err %v; want 1235, 1235", n, w.Next, err)
	}
}
