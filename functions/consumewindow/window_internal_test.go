package consumewindow

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// These tests stay in package consumewindow: they decode the cursors the route answers
// (decodeCursor) and forge cursors (cursor) no caller could obtain, and parseTime is
// unexported. The other time-window tests start the shipped Build (window_test.go).

func TestTimeWindow(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(3, "events"))
	SeedTimed(t, e, "events", 3, 12)

	tests := []struct {
		name     string
		query    string
		want     []string
		wantDone bool
	}{
		{"a window in the middle returns its records across partitions in timestamp order",
			"from=" + Millis(Base.Add(2*time.Second)) + "&to=" + Millis(Base.Add(7*time.Second)), Vals(2, 7), true},
		{"RFC 3339 times work like epoch milliseconds",
			"from=" + url.QueryEscape(Base.Add(2*time.Second).Format(time.RFC3339)) + "&to=" + url.QueryEscape(Base.Add(7*time.Second).Format(time.RFC3339Nano)), Vals(2, 7), true},
		{"from is inclusive and to is exclusive to the millisecond",
			"from=" + Millis(Base.Add(3*time.Second)) + "&to=" + Millis(Base.Add(4*time.Second+time.Millisecond)), Vals(3, 5), true},
		{"a window with no records in it is empty and done",
			"from=" + Millis(Base.Add(2500*time.Millisecond)) + "&to=" + Millis(Base.Add(2900*time.Millisecond)), nil, true},
		{"a window before every record is empty and done",
			"from=" + Millis(Base.Add(-time.Hour)) + "&to=" + Millis(Base.Add(-time.Minute)), nil, true},
		{"a window covering everything returns everything",
			"from=0&to=" + Millis(Base.Add(time.Hour)), Vals(0, 12), true},
		{"a window that ends in the future is not done",
			"from=" + Millis(Base.Add(10*time.Second)) + "&to=" + Millis(time.Now().Add(time.Hour)), Vals(10, 12), false},
		{"a window entirely in the future is empty and not done",
			"from=" + Millis(time.Now().Add(time.Hour)) + "&to=" + Millis(time.Now().Add(2*time.Hour)), nil, false},
		{"without to, the window ends now",
			"from=" + Millis(Base.Add(9*time.Second)), Vals(9, 12), true},
		{"partition narrows the window to one partition",
			"partition=1&from=0&to=" + Millis(Base.Add(time.Hour)), []string{"v1", "v4", "v7", "v10"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := e.Window(t, tc.query)
			if got := Values(out.Records); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
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

func TestTimeWindowErrors(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events", "other"))
	SeedTimed(t, e, "events", 2, 4)
	good := e.Window(t, "from=0&to="+Millis(Base.Add(time.Hour))+"&count=1").Cursor
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
			status, body := e.Do(t, "GET", tc.path, "")
			if status != tc.status || ErrorCode(t, body) != tc.code {
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
		{"2026-01-15T10:00:00Z", Base.UnixMilli(), true},
		{"2026-01-15T11:00:00+01:00", Base.UnixMilli(), true},
		{"2026-01-15T10:00:00.123456789Z", Base.UnixMilli() + 123, true},
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
