package consumewindow_test

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/shared/broker"
)

func TestTimeWindowCursorContinuesUntilDone(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(3, "events"))
	consumewindow.SeedTimed(t, e, "events", 3, 20)
	for _, count := range []int{1, 2, 3, 7, 100} {
		t.Run(fmt.Sprintf("count %d pages through the window without loss or repeats", count), func(t *testing.T) {
			q := fmt.Sprintf("from=%s&to=%s&count=%d", consumewindow.Millis(consumewindow.Base.Add(3*time.Second)), consumewindow.Millis(consumewindow.Base.Add(17*time.Second)), count)
			var got []string
			for page := 0; ; page++ {
				if page > 40 {
					t.Fatal("the window never finished")
				}
				out := e.Window(t, q)
				if len(out.Records) > count {
					t.Fatalf("page of %d records exceeds count %d", len(out.Records), count)
				}
				got = append(got, consumewindow.Values(out.Records)...)
				if out.Done {
					break
				}
				if len(out.Records) == 0 {
					t.Fatal("a page before done was empty")
				}
				q = fmt.Sprintf("cursor=%s&count=%d", out.Cursor, count)
			}
			if !slices.Equal(got, consumewindow.Vals(3, 17)) {
				t.Fatalf("got %v", got)
			}
		})
	}
	t.Run("the same position gives the same cursor", func(t *testing.T) {
		q := "from=" + consumewindow.Millis(consumewindow.Base) + "&to=" + consumewindow.Millis(consumewindow.Base.Add(5*time.Second)) + "&count=2"
		a, b := e.Window(t, q), e.Window(t, q)
		if a.Cursor != b.Cursor {
			t.Fatalf("cursors differ: %s vs %s", a.Cursor, b.Cursor)
		}
	})
	t.Run("a done window's cursor returns nothing more", func(t *testing.T) {
		out := e.Window(t, "from="+consumewindow.Millis(consumewindow.Base)+"&to="+consumewindow.Millis(consumewindow.Base.Add(2*time.Second)))
		again := e.Window(t, "cursor="+out.Cursor)
		if !out.Done || !again.Done || len(again.Records) != 0 {
			t.Fatalf("first %+v, again %+v", out, again)
		}
	})
}

func TestTimeWindowFutureWindowFillsAsRecordsArrive(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	start := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	out := e.Window(t, "from="+consumewindow.Millis(start)+"&to="+consumewindow.Millis(start.Add(time.Minute)))
	if len(out.Records) != 0 || out.Done {
		t.Fatalf("future window: %+v", out)
	}
	e.Produce(t, "events",
		broker.Record{Partition: 0, Value: []byte("early"), Time: start.Add(-time.Second)},
		broker.Record{Partition: 1, Value: []byte("inside"), Time: start.Add(time.Second)},
		broker.Record{Partition: 0, Value: []byte("late"), Time: start.Add(2 * time.Minute)},
	)
	next := e.Window(t, "cursor="+out.Cursor)
	if got := consumewindow.Values(next.Records); !slices.Equal(got, []string{"inside"}) || next.Done {
		t.Fatalf("after produce: %v done=%v", got, next.Done)
	}
}

func TestTimeWindowPastRetention(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	consumewindow.SeedTimed(t, e, "events", 1, 10)
	first := e.Window(t, "from=0&to="+consumewindow.Millis(consumewindow.Base.Add(time.Hour))+"&count=2")
	if got := consumewindow.Values(first.Records); !slices.Equal(got, consumewindow.Vals(0, 2)) {
		t.Fatalf("first page %v", got)
	}
	e.DeleteRecords(t, "events", 0, 6)

	t.Run("a window starting before the log start begins at the oldest retained record", func(t *testing.T) {
		out := e.Window(t, "from=0&to="+consumewindow.Millis(consumewindow.Base.Add(time.Hour)))
		if got := consumewindow.Values(out.Records); !slices.Equal(got, consumewindow.Vals(6, 10)) || len(out.Gaps) != 0 || !out.Done {
			t.Fatalf("got %v gaps %v done %v", got, out.Gaps, out.Done)
		}
	})
	t.Run("a window entirely before the log start is empty and done", func(t *testing.T) {
		out := e.Window(t, "from=0&to="+consumewindow.Millis(consumewindow.Base.Add(3*time.Second)))
		if len(out.Records) != 0 || !out.Done {
			t.Fatalf("%+v", out)
		}
	})
	t.Run("a cursor into deleted records reports the gap and goes on", func(t *testing.T) {
		out := e.Window(t, "cursor="+first.Cursor)
		if got := consumewindow.Values(out.Records); !slices.Equal(got, consumewindow.Vals(6, 10)) {
			t.Fatalf("got %v", got)
		}
		if want := []consumewindow.Gap{{Partition: 0, From: 2, To: 6}}; !slices.Equal(out.Gaps, want) {
			t.Fatalf("gaps %v, want %v", out.Gaps, want)
		}
	})
}

func TestTimeWindowByteCap(t *testing.T) {
	e := startEnv(t, map[string]string{"CONSUME_MAX_BYTES": "2048"}, kfake.SeedTopics(2, "events"))
	var recs []broker.Record
	for i := range 8 {
		recs = append(recs, broker.Record{Partition: i % 2, Value: []byte(fmt.Sprintf("%04d", i) + strings.Repeat("x", 596)), Time: consumewindow.Base.Add(time.Duration(i) * time.Second)})
	}
	e.Produce(t, "events", recs...)
	q := "from=0&to=" + consumewindow.Millis(consumewindow.Base.Add(time.Hour))
	var n int
	for page := 0; page < 10; page++ {
		out := e.Window(t, q)
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

// BenchmarkTimeWindow reads a 100-record window merged from 4 partitions through the route.
func BenchmarkTimeWindow(b *testing.B) {
	e := startEnv(b, nil, kfake.SeedTopics(4, "events"))
	var recs []broker.Record
	for i := range 400 {
		recs = append(recs, broker.Record{Partition: i % 4, Value: []byte(strings.Repeat("x", 256)), Time: consumewindow.Base.Add(time.Duration(i) * time.Millisecond)})
	}
	if _, err := e.Broker.Produce(b.Context(), "events", recs); err != nil {
		b.Fatal(err)
	}
	path := e.URL + "/v1/consumer/topics/events/window?from=0&to=" + consumewindow.Millis(consumewindow.Base.Add(time.Hour)) + "&count=100"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := e.Client.Get(path)
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
