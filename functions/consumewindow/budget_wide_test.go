package consumewindow_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/shared/broker"
)

// A time window over several partitions keeps up to a share of the window per
// partition and reserves room for each partition's fetch. With the response budget at its
// smallest allowed size (CONSUME_MAX_BYTES) and every partition holding more than its share,
// the partitions fetched first kept the whole budget while the last ones waited for room the
// request held itself, until REQUEST_TIMEOUT: 503. The window now prepays its room and sizes
// the shares to fit: it answers, with records of every partition, in timestamp order.
func TestWindowFitsTheResponseBudget(t *testing.T) {
	const partitions = 8
	// The whole response budget is one window: HTTP_MAX_INFLIGHT_RESPONSE_BYTES at
	// CONSUME_MAX_BYTES's default (6 MiB).
	e := startEnv(t, map[string]string{"REQUEST_TIMEOUT": "3s", "HTTP_MAX_INFLIGHT_RESPONSE_BYTES": strconv.Itoa(6 << 20)},
		kfake.SeedTopics(partitions, "wide"))
	var recs []broker.Record
	for i := range 8 * partitions { // 8 records of 100 KiB per partition: more than a share
		recs = append(recs, broker.Record{Partition: i % partitions, Value: bytes.Repeat([]byte{'a' + byte(i%26)}, 100<<10),
			Time: consumewindow.Base.Add(time.Duration(i) * time.Millisecond)})
	}
	e.Produce(t, "wide", recs...)

	// Follow the cursor to the end: every record, each once, in timestamp order.
	var got []consumewindow.ConsumeRecord
	q := "from=" + consumewindow.Millis(consumewindow.Base) + "&to=" + consumewindow.Millis(consumewindow.Base.Add(time.Hour)) + "&count=1000"
	for page := 0; ; page++ {
		if page > 4*partitions {
			t.Fatalf("no end after %d pages (%d records)", page, len(got))
		}
		res, err := e.Client.Get(e.URL + "/v1/consumer/topics/wide/window?" + q)
		if err != nil {
			t.Fatal(err)
		}
		var out consumewindow.WindowResponse
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("page %d: %d %v", page, res.StatusCode, err)
		}
		got = append(got, out.Records...)
		if out.Done {
			break
		}
		q = "cursor=" + out.Cursor + "&count=1000"
	}
	if len(got) != len(recs) {
		t.Fatalf("%d records, want %d", len(got), len(recs))
	}
	for i, r := range got {
		if want := recs[i].Partition; r.Partition != want || len(*r.Value) != 100<<10 {
			t.Fatalf("record %d: partition %d (want %d), %d bytes", i, r.Partition, want, len(*r.Value))
		}
	}
}
