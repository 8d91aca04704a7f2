package consumewindow_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/broker"
)

func consume(t *testing.T, s *harness.Stack, path string) (consumewindow.ConsumeResponse, harness.Response) {
	t.Helper()
	r := s.Do(t, "GET", path, "")
	var out consumewindow.ConsumeResponse
	if r.Status == 200 {
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, r
}

func TestConsumePagesWithNextOffsetUntilCaughtUp(t *testing.T) {
	s := harness.StartDev(t, harness.ConsumeWindow, nil, kfake.SeedTopics(2, "events"))
	var recs []broker.Record
	for i := range 25 {
		recs = append(recs, broker.Record{Partition: 1, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if _, err := s.Broker.Produce(t.Context(), "events", recs); err != nil {
		t.Fatal(err)
	}
	// Microsoft's sample loop: read, set offset = NextOffset, stop when nothing comes back.
	offset, seen := int64(0), 0
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("paging did not end")
		}
		out, r := consume(t, s, fmt.Sprintf("/v1/consumer/topics/events/partitions/1/offsets/%d?count=10", offset))
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		next, err := strconv.ParseInt(r.Header.Get("NextOffset"), 10, 64)
		if err != nil {
			t.Fatalf("NextOffset header %q", r.Header.Get("NextOffset"))
		}
		if len(out.Records) == 0 {
			if next != offset {
				t.Fatalf("empty page moved NextOffset from %d to %d", offset, next)
			}
			break
		}
		for _, rec := range out.Records {
			if rec.Offset != int64(seen) || *rec.Key != fmt.Sprintf("k%d", seen) || *rec.Value != fmt.Sprintf(`{"n":%d}`, seen) || rec.Topic != "events" || rec.Partition != 1 || rec.TimestampType != "CreateTime" {
				t.Fatalf("record %+v at position %d", rec, seen)
			}
			seen++
		}
		if next != out.Records[len(out.Records)-1].Offset+1 {
			t.Fatalf("NextOffset %d after offset %d", next, out.Records[len(out.Records)-1].Offset)
		}
		offset = next
	}
	if seen != 25 {
		t.Fatalf("read %d records, want 25", seen)
	}
}

func TestConsumeRecordShapes(t *testing.T) {
	s := harness.StartDev(t, harness.ConsumeWindow, nil, kfake.SeedTopics(1, "shapes"))
	ts := time.UnixMilli(1_700_000_000_000)
	_, err := s.Broker.Produce(t.Context(), "shapes", []broker.Record{
		{Partition: 0, Value: []byte("plain"), Time: ts, Headers: []broker.Header{{Key: "h", Value: []byte("1")}, {Key: "h", Value: []byte{0xff}}}},
		{Partition: 0, Key: []byte{0xff, 0x00}, Value: []byte{0xc3, 0x28}},
		{Partition: 0, Key: []byte("tomb"), Value: nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, r := consume(t, s, "/v1/consumer/topics/shapes/partitions/0/offsets/0?count=3")
	if r.Status != 200 || len(out.Records) != 3 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	a, b, c := out.Records[0], out.Records[1], out.Records[2]
	if a.Key != nil || *a.Value != "plain" || a.Timestamp != ts.UnixMilli() || len(a.Headers) != 2 || a.Headers[0].Value != "1" ||
		a.Headers[1].ValueEncoding != "base64" || a.Headers[1].Value != "/w==" {
		t.Errorf("plain record: %+v", a)
	}
	if b.KeyEncoding != "base64" || *b.Key != base64.StdEncoding.EncodeToString([]byte{0xff, 0}) || b.ValueEncoding != "base64" || *b.Value != "wyg=" {
		t.Errorf("binary record: %+v", b)
	}
	if c.Value != nil || *c.Key != "tomb" {
		t.Errorf("tombstone: %+v", c)
	}
	out, _ = consume(t, s, "/v1/consumer/topics/shapes/partitions/0/offsets/0?encoding=base64")
	if len(out.Records) != 1 || out.Records[0].ValueEncoding != "base64" || *out.Records[0].Value != "cGxhaW4=" {
		t.Errorf("encoding=base64: %+v", out.Records)
	}
}

func TestConsumeErrorsAndEdges(t *testing.T) {
	s := harness.StartDev(t, harness.ConsumeWindow, nil, kfake.SeedTopics(1, "t"), kfake.SeedTopics(1, "empty"))
	if _, err := s.Broker.Produce(t.Context(), "t", []broker.Record{{Partition: 0, Value: []byte("a")}, {Partition: 0, Value: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		status     int
		code       string
		records    int
		next       string
	}{
		{"count defaults to 1", "/v1/consumer/topics/t/partitions/0/offsets/0", 200, "", 1, "1"},
		{"an empty topic is an empty window", "/v1/consumer/topics/empty/partitions/0/offsets/0?count=5", 200, "", 0, "0"},
		{"the end of the log is an empty window", "/v1/consumer/topics/t/partitions/0/offsets/2?count=5", 200, "", 0, "2"},
		{"past the end → 400 naming the range", "/v1/consumer/topics/t/partitions/0/offsets/3", 400, "offset_out_of_range", 0, ""},
		{"an unknown topic → 404", "/v1/consumer/topics/nope/partitions/0/offsets/0", 404, "unknown_topic", 0, ""},
		{"an unknown partition → 404", "/v1/consumer/topics/t/partitions/4/offsets/0", 404, "unknown_partition", 0, ""},
		{"count 0 → 400", "/v1/consumer/topics/t/partitions/0/offsets/0?count=0", 400, "invalid_count", 0, ""},
		{"count over the cap → 400", "/v1/consumer/topics/t/partitions/0/offsets/0?count=1000001", 400, "invalid_count", 0, ""},
		{"count not a number → 400", "/v1/consumer/topics/t/partitions/0/offsets/0?count=ten", 400, "invalid_count", 0, ""},
		{"a negative offset → 400", "/v1/consumer/topics/t/partitions/0/offsets/-1", 400, "invalid_offset", 0, ""},
		{"an unknown encoding → 400", "/v1/consumer/topics/t/partitions/0/offsets/0?encoding=hex", 400, "invalid_encoding", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, r := consume(t, s, tt.path)
			if r.Status != tt.status {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if tt.code != "" {
				var e struct {
					Error struct{ Code, Message string }
				}
				_ = json.Unmarshal(r.Body, &e)
				if e.Error.Code != tt.code {
					t.Fatalf("%s", r.Body)
				}
				return
			}
			if len(out.Records) != tt.records || r.Header.Get("NextOffset") != tt.next {
				t.Fatalf("%d records, NextOffset %q: %s", len(out.Records), r.Header.Get("NextOffset"), r.Body)
			}
		})
	}
	r := s.Do(t, "GET", "/v1/consumer/topics/t/partitions/0/offsets/3", "")
	if want := "valid offsets are 0 to 2"; !json.Valid(r.Body) || !strings.Contains(string(r.Body), want) {
		t.Errorf("out-of-range message should name the range: %s", r.Body)
	}
}

func TestConsumeStopsAtTheByteCap(t *testing.T) {
	s := harness.StartDev(t, harness.ConsumeWindow, map[string]string{"CONSUME_MAX_BYTES": "1024"}, kfake.SeedTopics(1, "big"))
	var recs []broker.Record
	for range 10 {
		recs = append(recs, broker.Record{Partition: 0, Value: make([]byte, 300)})
	}
	if _, err := s.Broker.Produce(t.Context(), "big", recs); err != nil {
		t.Fatal(err)
	}
	out, r := consume(t, s, "/v1/consumer/topics/big/partitions/0/offsets/0?count=10")
	if len(out.Records) != 3 || r.Header.Get("NextOffset") != "3" {
		t.Fatalf("%d records, NextOffset %s", len(out.Records), r.Header.Get("NextOffset"))
	}
}
