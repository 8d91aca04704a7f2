package consumewindow

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker"
)

// base is the time of the first test record: 2026-01-15T10:00:00Z (in the past).
var base = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// seedTimed writes n records one second apart from base, round-robin over partitions;
// record i has value "v<i>".
func seedTimed(t *testing.T, e *testEnv, topic string, partitions, n int) {
	t.Helper()
	var recs []broker.Record
	for i := range n {
		recs = append(recs, broker.Record{Partition: i % partitions, Value: []byte(fmt.Sprintf("v%d", i)), Time: base.Add(time.Duration(i) * time.Second)})
	}
	e.produce(t, topic, recs...)
}

func ms(t time.Time) string { return fmt.Sprint(t.UnixMilli()) }

func values(recs []ConsumeRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = *r.Value
	}
	return out
}

func vals(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("v%d", i))
	}
	return out
}

func (e *testEnv) window(t *testing.T, query string) WindowResponse {
	t.Helper()
	var out WindowResponse
	status, body := e.do(t, "GET", "/v1/consumer/topics/events/window?"+query, "")
	decode(t, status, body, &out)
	return out
}

func TestTimeWindow(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(3, "events"))
	seedTimed(t, e, "events", 3, 12)

	tests := []struct {
		name     string
		query    string
		want     []string
		wantDone bool
	}{
		{"a window in the middle returns its records across partitions in timestamp order",
			"from=" + ms(base.Add(2*time.Second)) + "&to=" + ms(base.Add(7*time.Second)), vals(2, 7), true},
		{"RFC 3339 times work like epoch milliseconds",
			"from=" + url.QueryEscape(base.Add(2*time.Second).Format(time.RFC3339)) + "&to=" + url.QueryEscape(base.Add(7*time.Second).Format(time.RFC3339Nano)), vals(2, 7), true},
		{"from is inclusive and to is exclusive to the millisecond",
			"from=" + ms(base.Add(3*time.Second)) + "&to=" + ms(base.Add(4*time.Second+time.Millisecond)), vals(3, 5), true},
		{"a window with no records in it is empty and done",
			"from=" + ms(base.Add(2500*time.Millisecond)) + "&to=" + ms(base.Add(2900*time.Millisecond)), nil, true},
		{"a window before every record is empty and done",
			"from=" + ms(base.Add(-time.Hour)) + "&to=" + ms(base.Add(-time.Minute)), nil, true},
		{"a window covering everything returns everything",
			"from=0&to=" + ms(base.Add(time.Hour)), vals(0, 12), true},
		{"a window that ends in the future is not done",
			"from=" + ms(base.Add(10*time.Second)) + "&to=" + ms(time.Now().Add(time.Hour)), vals(10, 12), false},
		{"a window entirely in the future is empty and not done",
			"from=" + ms(time.Now().Add(time.Hour)) + "&to=" + ms(time.Now().Add(2*time.Hour)), nil, false},
		{"without to, the window ends now",
			"from=" + ms(base.Add(9*time.Second)), vals(9, 12), true},
		{"partition narrows the window to one partition",
			"partition=1&from=0&to=" + ms(base.Add(time.Hour)), []string{"v1", "v4", "v7", "v10"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := e.window(t, tc.query)
			if got := values(out.Records); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Fatalf("records %v, want %v", got, tc.want)
			}
			if out.Done != tc.wantDone {
				t.Fatalf("done = %v, want %v", out.Done, tc.wantDone)
			}
			if _, err := decodeCursor(out.Cursor); err != nil {
				t.Fatalf("the answer's cursor does not decode: %v", err)
			}
		})
	}
}

func TestTimeWindowCursorContinuesUntilDone(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(3, "events"))
	seedTimed(t, e, "events", 3, 20)
	for _, count := range []int{1, 2, 3, 7, 100} {
		t.Run(fmt.Sprintf("count %d pages through the window without loss or repeats", count), func(t *testing.T) {
			q := fmt.Sprintf("from=%s&to=%s&count=%d", ms(base.Add(3*time.Second)), ms(base.Add(17*time.Second)), count)
			var got []string
			for page := 0; ; page++ {
				if page > 40 {
					t.Fatal("the window never finished")
				}
				out := e.window(t, q)
				if len(out.Records) > count {
					t.Fatalf("page of %d records exceeds count %d", len(out.Records), count)
				}
				got = append(got, values(out.Records)...)
				if out.Done {
					break
				}
				if len(out.Records) == 0 {
					t.Fatal("a page before done was empty")
				}
				q = fmt.Sprintf("cursor=%s&count=%d", out.Cursor, count)
			}
			if !slices.Equal(got, vals(3, 17)) {
				t.Fatalf("got %v", got)
			}
		})
	}
	t.Run("the same position gives the same cursor", func(t *testing.T) {
		q := "from=" + ms(base) + "&to=" + ms(base.Add(5*time.Second)) + "&count=2"
		a, b := e.window(t, q), e.window(t, q)
		if a.Cursor != b.Cursor {
			t.Fatalf("cursors differ: %s vs %s", a.Cursor, b.Cursor)
		}
	})
	t.Run("a done window's cursor returns nothing more", func(t *testing.T) {
		out := e.window(t, "from="+ms(base)+"&to="+ms(base.Add(2*time.Second)))
		again := e.window(t, "cursor="+out.Cursor)
		if !out.Done || !again.Done || len(again.Records) != 0 {
			t.Fatalf("first %+v, again %+v", out, again)
		}
	})
}

func TestTimeWindowFutureWindowFillsAsRecordsArrive(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	start := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	out := e.window(t, "from="+ms(start)+"&to="+ms(start.Add(time.Minute)))
	if len(out.Records) != 0 || out.Done {
		t.Fatalf("future window: %+v", out)
	}
	e.produce(t, "events",
		broker.Record{Partition: 0, Value: []byte("early"), Time: start.Add(-time.Second)},
		broker.Record{Partition: 1, Value: []byte("inside"), Time: start.Add(time.Second)},
		broker.Record{Partition: 0, Value: []byte("late"), Time: start.Add(2 * time.Minute)},
	)
	next := e.window(t, "cursor="+out.Cursor)
	if got := values(next.Records); !slices.Equal(got, []string{"inside"}) || next.Done {
		t.Fatalf("after produce: %v done=%v", got, next.Done)
	}
}

func TestTimeWindowPastRetention(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	seedTimed(t, e, "events", 1, 10)
	first := e.window(t, "from=0&to="+ms(base.Add(time.Hour))+"&count=2")
	if got := values(first.Records); !slices.Equal(got, vals(0, 2)) {
		t.Fatalf("first page %v", got)
	}
	e.deleteRecords(t, "events", 0, 6)

	t.Run("a window starting before the log start begins at the oldest retained record", func(t *testing.T) {
		out := e.window(t, "from=0&to="+ms(base.Add(time.Hour)))
		if got := values(out.Records); !slices.Equal(got, vals(6, 10)) || len(out.Gaps) != 0 || !out.Done {
			t.Fatalf("got %v gaps %v done %v", got, out.Gaps, out.Done)
		}
	})
	t.Run("a window entirely before the log start is empty and done", func(t *testing.T) {
		out := e.window(t, "from=0&to="+ms(base.Add(3*time.Second)))
		if len(out.Records) != 0 || !out.Done {
			t.Fatalf("%+v", out)
		}
	})
	t.Run("a cursor into deleted records reports the gap and goes on", func(t *testing.T) {
		out := e.window(t, "cursor="+first.Cursor)
		if got := values(out.Records); !slices.Equal(got, vals(6, 10)) {
			t.Fatalf("got %v", got)
		}
		if want := []Gap{{Partition: 0, From: 2, To: 6}}; !slices.Equal(out.Gaps, want) {
			t.Fatalf("gaps %v, want %v", out.Gaps, want)
		}
	})
}

func TestTimeWindowByteCap(t *testing.T) {
	e := startEnv(t, func(d *Deps) { d.Limits.ConsumeMaxBytes = 2048 }, kfake.SeedTopics(2, "events"))
	var recs []broker.Record
	for i := range 8 {
		recs = append(recs, broker.Record{Partition: i % 2, Value: []byte(fmt.Sprintf("%04d", i) + strings.Repeat("x", 596)), Time: base.Add(time.Duration(i) * time.Second)})
	}
	e.produce(t, "events", recs...)
	q := "from=0&to=" + ms(base.Add(time.Hour))
	var n int
	for page := 0; page < 10; page++ {
		out := e.window(t, q)
		if len(out.Records) > 3 {
			t.Fatalf("%d records of 600 bytes exceed the 2048-byte cap", len(out.Records))
		}
		for _, r := range out.Records {
			if want := fmt.Sprintf("%04d", n); !strings.HasPrefix(*r.Value, want) {
				t.Fatalf("record %q, want prefix %s", (*r.Value)[:4], want)
			}
			n++
		}
		if out.Done {
			break
		}
		q = "cursor=" + out.Cursor
	}
	if n != 8 {
		t.Fatalf("read %d records, want 8", n)
	}
}

func TestTimeWindowErrors(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events", "other"))
	seedTimed(t, e, "events", 2, 4)
	good := e.window(t, "from=0&to="+ms(base.Add(time.Hour))+"&count=1").Cursor
	other := (&cursor{V: 1, Topic: "other", From: 0, To: 1000, Next: map[string]int64{}}).encode()
	beyond := (&cursor{V: 1, Topic: "events", From: 0, To: 1000, Next: map[string]int64{"0": 99}}).encode()
	noSuchPartition := (&cursor{V: 1, Topic: "events", From: 0, To: 1000, Next: map[string]int64{"7": 0}}).encode()
	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"to before from is refused", "/v1/consumer/topics/events/window?from=2000&to=1000", 400, "invalid_window"},
		{"an empty range is refused", "/v1/consumer/topics/events/window?from=2000&to=2000", 400, "invalid_window"},
		{"a missing from is refused", "/v1/consumer/topics/events/window?to=2000", 400, "invalid_from"},
		{"a time that is neither RFC 3339 nor epoch ms is refused", "/v1/consumer/topics/events/window?from=yesterday", 400, "invalid_from"},
		{"a negative epoch is refused", "/v1/consumer/topics/events/window?from=-5", 400, "invalid_from"},
		{"count above the cap is refused", "/v1/consumer/topics/events/window?from=0&count=999999999", 400, "invalid_count"},
		{"an unknown topic is 404", "/v1/consumer/topics/nope/window?from=0", 404, "unknown_topic"},
		{"an unknown partition is 404", "/v1/consumer/topics/events/window?from=0&partition=9", 404, "unknown_partition"},
		{"a cursor that is not base64url is refused", "/v1/consumer/topics/events/window?cursor=%25%25", 400, "invalid_cursor"},
		{"a cursor for another topic is refused", "/v1/consumer/topics/events/window?cursor=" + other, 400, "invalid_cursor"},
		{"a cursor with a different from is refused", "/v1/consumer/topics/events/window?from=5&cursor=" + good, 400, "invalid_cursor"},
		{"a cursor beyond the end of a partition is refused", "/v1/consumer/topics/events/window?cursor=" + beyond, 400, "invalid_cursor"},
		{"a cursor naming a partition the topic lacks is refused", "/v1/consumer/topics/events/window?cursor=" + noSuchPartition, 400, "invalid_cursor"},
		{"an edited cursor is refused", "/v1/consumer/topics/events/window?cursor=" + good[:len(good)-2], 400, "invalid_cursor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, "GET", tc.path, "")
			if status != tc.status || errorCode(t, body) != tc.code {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1763805600000", 1763805600000, true},
		{"2026-01-15T10:00:00Z", base.UnixMilli(), true},
		{"2026-01-15T11:00:00+01:00", base.UnixMilli(), true},
		{"2026-01-15T10:00:00.123456789Z", base.UnixMilli() + 123, true},
		{"2026-11-22", 0, false},
		{"", 0, false},
		{"1e9", 0, false},
		{"99999999999999999999", 0, false},
		{"1969-12-31T23:59:59Z", 0, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q parses as %v", tc.in, tc.ok), func(t *testing.T) {
			got, err := parseTime("from", tc.in)
			if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
				t.Fatalf("got %d, %v", got, err)
			}
		})
	}
}

// BenchmarkTimeWindow reads a 100-record window merged from 4 partitions through the route.
func BenchmarkTimeWindow(b *testing.B) {
	e := startEnv(b, nil, kfake.SeedTopics(4, "events"))
	var recs []broker.Record
	for i := range 400 {
		recs = append(recs, broker.Record{Partition: i % 4, Value: []byte(strings.Repeat("x", 256)), Time: base.Add(time.Duration(i) * time.Millisecond)})
	}
	if _, err := e.broker.Produce(b.Context(), "events", recs); err != nil {
		b.Fatal(err)
	}
	path := e.srv.URL + "/v1/consumer/topics/events/window?from=0&to=" + ms(base.Add(time.Hour)) + "&count=100"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := e.srv.Client().Get(path)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatal(res.Status)
		}
	}
}
