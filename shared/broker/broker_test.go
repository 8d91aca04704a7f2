package broker_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestProduceAndFetch(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(3, "orders"))
	bc := c.Client(t)
	ts := time.UnixMilli(1_700_000_000_123)
	recs := []broker.Record{
		{Partition: 1, Key: []byte("k1"), Value: []byte("v1"), Time: ts, Headers: []broker.Header{{Key: "h", Value: []byte("x")}}},
		{Partition: 1, Value: []byte("v2")},
		{Partition: 2, Value: nil},
	}
	got, err := bc.Produce(ctx(t), "orders", recs)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Partition != 1 || got[0].Offset != 0 || got[1].Offset != 1 || got[2].Partition != 2 || got[2].Offset != 0 {
		t.Fatalf("offsets: %+v", got)
	}
	if !got[0].Time.Equal(ts) {
		t.Errorf("timestamp echoed %v, want %v", got[0].Time, ts)
	}
	w, err := bc.Fetch(ctx(t), "orders", 1, 0, 10, 6<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Messages) != 2 || w.Next != 2 || w.HighWatermark != 2 {
		t.Fatalf("window: %+v", w)
	}
	m := w.Messages[0]
	if string(m.Key) != "k1" || string(m.Value) != "v1" || !m.Time.Equal(ts) || len(m.Headers) != 1 || string(m.Headers[0].Value) != "x" {
		t.Errorf("message 0: %+v", m)
	}
	if w.Messages[1].Key != nil {
		t.Errorf("keyless record came back with key %q", w.Messages[1].Key)
	}
	w2, err := bc.Fetch(ctx(t), "orders", 2, 0, 10, 6<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(w2.Messages) != 1 || w2.Messages[0].Value != nil {
		t.Errorf("null value did not round-trip: %+v", w2.Messages)
	}
}

func TestFetchWindowEdges(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "t"))
	bc := c.Client(t)
	var recs []broker.Record
	for i := range 10 {
		recs = append(recs, broker.Record{Partition: 0, Value: bytes.Repeat([]byte{'a' + byte(i)}, 100)})
	}
	if _, err := bc.Produce(ctx(t), "t", recs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		offset   int64
		count    int
		maxBytes int64
		want     int
		next     int64
		code     string
	}{
		{"count caps the window", 2, 3, 6 << 20, 3, 5, ""},
		{"bytes cap the window", 0, 100, 350, 3, 3, ""},
		{"the end of the log is an empty window", 10, 5, 6 << 20, 0, 10, ""},
		{"past the end is out of range", 11, 5, 6 << 20, 0, 0, "offset_out_of_range"},
		{"a record over the byte cap is too large", 0, 1, 50, 0, 0, "record_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := bc.Fetch(ctx(t), "t", 0, tt.offset, tt.count, tt.maxBytes)
			if tt.code != "" {
				if apierr.CodeOf(err) != tt.code {
					t.Fatalf("err = %v (code %q), want code %q", err, apierr.CodeOf(err), tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Messages) != tt.want || w.Next != tt.next {
				t.Fatalf("got %d records, next %d; want %d, next %d", len(w.Messages), w.Next, tt.want, tt.next)
			}
		})
	}
}

func TestMetadataIsFresh(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "first"))
	bc := c.Client(t)
	// Warm the transport's metadata cache.
	if _, err := bc.Produce(ctx(t), "first", []broker.Record{{Partition: broker.AnyPartition, Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	// Another client creates a topic: kafka-go's cache does not know it for up to MetadataTTL.
	if err := c.CreateTopic("second", 2, nil); err != nil {
		t.Fatal(err)
	}
	topics, err := bc.Topics(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(topics) != "[first second]" {
		t.Fatalf("topics = %v", topics)
	}
	got, err := bc.Produce(ctx(t), "second", []broker.Record{{Partition: 1, Value: []byte("y")}})
	if err != nil {
		t.Fatalf("produce to a topic created elsewhere a moment ago: %v", err)
	}
	if got[0].Offset != 0 {
		t.Errorf("offset %d", got[0].Offset)
	}
	parts, err := bc.Partitions(ctx(t), "second")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[1].Latest != 1 || parts[0].Latest != 0 {
		t.Errorf("partitions: %+v", parts)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(2, "t"))
	bc := c.Client(t)
	tests := []struct {
		name string
		call func() error
		kind apierr.Kind
		code string
	}{
		{"produce to an unknown topic", func() error {
			_, err := bc.Produce(ctx(t), "nope", []broker.Record{{Partition: broker.AnyPartition, Value: []byte("x")}})
			return err
		}, apierr.NotFound, "unknown_topic"},
		{"produce to an unknown partition", func() error {
			_, err := bc.Produce(ctx(t), "t", []broker.Record{{Partition: 7, Value: []byte("x")}})
			return err
		}, apierr.NotFound, "unknown_partition"},
		{"fetch from an unknown partition", func() error {
			_, err := bc.Fetch(ctx(t), "t", 9, 0, 1, 1<<20)
			return err
		}, apierr.NotFound, "unknown_partition"},
		{"fetch from an unknown topic", func() error {
			_, err := bc.Fetch(ctx(t), "nope", 0, 0, 1, 1<<20)
			return err
		}, apierr.NotFound, "unknown_topic"},
		{"create an existing topic", func() error {
			return bc.CreateTopic(ctx(t), broker.TopicSpec{Name: "t"})
		}, apierr.Conflict, "topic_exists"},
		{"delete an unknown topic", func() error {
			return bc.DeleteTopic(ctx(t), "nope")
		}, apierr.NotFound, "unknown_topic"},
		{"describe an unknown partition", func() error {
			_, err := bc.Partition(ctx(t), "t", 5)
			return err
		}, apierr.NotFound, "unknown_partition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if apierr.KindOf(err) != tt.kind || apierr.CodeOf(err) != tt.code {
				t.Fatalf("err = %v: kind %v code %q, want %v %q", err, apierr.KindOf(err), apierr.CodeOf(err), tt.kind, tt.code)
			}
		})
	}
}

func TestUnreachableBrokerIsUnavailable(t *testing.T) {
	cfg := brokertest.Config([]string{"127.0.0.1:1"})
	cfg.DialTimeout = 200 * time.Millisecond
	bc, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	err = bc.Ping(ctx(t))
	if k := apierr.KindOf(err); k != apierr.Unavailable && k != apierr.Timeout {
		t.Fatalf("err = %v, kind %v", err, k)
	}
	if !broker.IsRetryable(err) {
		t.Errorf("an unreachable broker should be retryable")
	}
}

func TestCreateAndDeleteTopic(t *testing.T) {
	c := brokertest.NewCluster(t)
	bc := c.Client(t)
	if err := bc.CreateTopic(ctx(t), broker.TopicSpec{Name: "made", Partitions: 4, Configs: map[string]string{"retention.ms": "60000"}}); err != nil {
		t.Fatal(err)
	}
	parts, err := bc.Partitions(ctx(t), "made")
	if err != nil || len(parts) != 4 {
		t.Fatalf("partitions %v, %v", parts, err)
	}
	if err := bc.DeleteTopic(ctx(t), "made"); err != nil {
		t.Fatal(err)
	}
	_, err = bc.Produce(ctx(t), "made", []broker.Record{{Partition: broker.AnyPartition, Value: []byte("x")}})
	if apierr.KindOf(err) != apierr.NotFound {
		t.Fatalf("produce after delete: %v", err)
	}
}

func TestKeysPartitionLikeTheJavaClient(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(6, "t"))
	bc := c.Client(t)
	got, err := bc.Produce(ctx(t), "t", []broker.Record{
		{Partition: broker.AnyPartition, Key: []byte("user-1"), Value: []byte("a")},
		{Partition: broker.AnyPartition, Key: []byte("user-1"), Value: []byte("b")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: []byte("user-1")}, 0, 1, 2, 3, 4, 5)
	if got[0].Partition != want || got[1].Partition != want || got[1].Offset != got[0].Offset+1 {
		t.Fatalf("got %+v, want both on partition %d in order", got, want)
	}
}

func TestWarmClientReusesConnections(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "t"))
	bc := c.Client(t)
	for i := range 20 {
		if _, err := bc.Produce(ctx(t), "t", []broker.Record{{Partition: 0, Value: []byte{byte(i)}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := bc.Fetch(ctx(t), "t", 0, int64(i), 1, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	if d := bc.Dials(); d > 3 {
		t.Errorf("40 calls dialled %d connections; a warm client should reuse them", d)
	}
}

func TestIdleConnectionsAreRedialled(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "t"))
	cfg := c.Config
	cfg.IdleTimeout = time.Second
	bc, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	if _, err := bc.Produce(ctx(t), "t", []broker.Record{{Partition: 0, Value: []byte("a")}}); err != nil {
		t.Fatal(err)
	}
	before := bc.Dials()
	time.Sleep(1100 * time.Millisecond) // longer than IdleTimeout: like a frozen container
	if _, err := bc.Produce(ctx(t), "t", []broker.Record{{Partition: 0, Value: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	if bc.Dials() == before {
		t.Errorf("after an idle period longer than IdleTimeout the client reused its old connections")
	}
}

func TestValidateTopicName(t *testing.T) {
	for _, ok := range []string{"a", "orders.v1", "A_b-c", string(bytes.Repeat([]byte("x"), 249))} {
		if err := broker.ValidateTopicName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a b", "ü", "a/b", string(bytes.Repeat([]byte("x"), 250))} {
		if err := broker.ValidateTopicName(bad); apierr.KindOf(err) != apierr.Invalid {
			t.Errorf("%q: err = %v, want Invalid", bad, err)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cfg := brokertest.Config(nil)
	_, err := broker.New(cfg)
	if err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("New without brokers: %v, want an error naming KAFKA_BROKERS", err)
	}
}

// TestInternalTopicsAreRefused: every "__" topic is refused before anything reaches Kafka,
// by name validation and again by the Client's writes, and stays hidden from listings.
func TestInternalTopicsAreRefused(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "__hidden", "visible"))
	bc := c.Client(t)
	for _, name := range []string{"__consumer_offsets", "__transaction_state", "__cluster_metadata", "__hidden", "__"} {
		t.Run(name, func(t *testing.T) {
			forbidden := func(what string, err error) {
				t.Helper()
				if apierr.KindOf(err) != apierr.Forbidden || apierr.CodeOf(err) != "internal_topic" {
					t.Fatalf("%s: %v; want Forbidden internal_topic", what, err)
				}
			}
			forbidden("ValidateTopicName", broker.ValidateTopicName(name))
			forbidden("CreateTopic", bc.CreateTopic(ctx(t), broker.TopicSpec{Name: name}))
			forbidden("DeleteTopic", bc.DeleteTopic(ctx(t), name))
			got, err := bc.Produce(ctx(t), name, []broker.Record{{Partition: 0, Value: []byte("x")}, {Partition: broker.AnyPartition, Value: []byte("y")}})
			forbidden("Produce", err)
			for i, p := range got {
				if p.Err == nil || p.Offset != -1 {
					t.Fatalf("record %d: %+v; want refused, not written", i, p)
				}
			}
		})
	}
	w, err := bc.Fetch(ctx(t), "__hidden", 0, 0, 10, 1<<20)
	if err != nil || len(w.Messages) != 0 {
		t.Fatalf("the refused produce wrote to __hidden: %+v, %v", w, err)
	}
	topics, err := bc.Topics(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics {
		if strings.HasPrefix(tp, "__") {
			t.Fatalf("Topics lists %s", tp)
		}
	}
	for _, ok := range []string{"_single", "a__b", "visible"} {
		if err := broker.ValidateTopicName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
