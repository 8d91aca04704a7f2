package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

func TestOffsetsForTimes(t *testing.T) {
	bc := brokertest.NewCluster(t, kfake.SeedTopics(2, "events")).Client(t)
	base := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	var recs []broker.Record
	for i := range 10 { // partition 0: seconds 0..9; partition 1: nothing
		recs = append(recs, broker.Record{Partition: 0, Value: []byte(fmt.Sprint(i)), Time: base.Add(time.Duration(i) * time.Second)})
	}
	if _, err := bc.Produce(t.Context(), "events", recs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   time.Time
		want map[int]int64
	}{
		{"a time before every record gives the first offset", base.Add(-time.Hour), map[int]int64{0: 0, 1: 0}},
		{"a record's own time gives its offset", base.Add(4 * time.Second), map[int]int64{0: 4, 1: 0}},
		{"a time between records gives the next record", base.Add(4500 * time.Millisecond), map[int]int64{0: 5, 1: 0}},
		{"a time after every record gives the end offset", base.Add(time.Hour), map[int]int64{0: 10, 1: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bc.OffsetsForTimes(t.Context(), "events", []int{0, 1}, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("an unknown topic is NotFound", func(t *testing.T) {
		_, err := bc.OffsetsForTimes(t.Context(), "nope", []int{0}, base)
		if apierr.KindOf(err) != apierr.NotFound {
			t.Fatalf("err = %v", err)
		}
	})
}
