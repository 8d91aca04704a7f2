package broker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// BenchmarkProduce is Client.Produce of n 1 KiB records against kfake: to one partition
// (the inline path) and, keyed, over three (one goroutine per partition). kfake runs in the
// same process, so the numbers include the broker's side; a fresh cluster per case keeps
// its memory bounded, and 4 MiB segments keep kfake from copying a whole 100 MiB segment
// buffer when it outgrows it (as in scripts/bench).
func BenchmarkProduce(b *testing.B) {
	value := []byte(strings.Repeat("0123456789abcdef", 64))
	for _, tc := range []struct {
		n     int
		keyed bool
	}{{1, false}, {500, false}, {100, true}} {
		name := fmt.Sprintf("N=%d", tc.n)
		if tc.keyed {
			name += ",keyed,3 partitions"
		}
		b.Run(name, func(b *testing.B) {
			c := brokertest.NewCluster(b, kfake.SeedTopics(3, "bench"), kfake.BrokerConfigs(map[string]string{"log.segment.bytes": "4194304"}))
			bc, err := broker.New(c.Config)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(bc.Close)
			recs := make([]broker.Record, tc.n)
			for i := range recs {
				recs[i] = broker.Record{Partition: 0, Value: value}
				if tc.keyed {
					recs[i] = broker.Record{Partition: broker.AnyPartition, Key: fmt.Appendf(nil, "k%d", i), Value: value}
				}
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.Produce(ctx, "bench", recs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProduceVsRaw is one 1 KiB record to partition 0 through Client.Produce and
// through a raw kafka-go Client.Produce configured as scripts/bench's raw row
// (internal/benchrun), against the same kfake cluster, in alternating sub-benchmarks.
func BenchmarkProduceVsRaw(b *testing.B) {
	value := []byte(strings.Repeat("0123456789abcdef", 64))
	c := brokertest.NewCluster(b, kfake.SeedTopics(1, "bench"), kfake.BrokerConfigs(map[string]string{"log.segment.bytes": "4194304"}))
	bc, err := broker.New(c.Config)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bc.Close)
	tr := &kafka.Transport{DialTimeout: c.Config.DialTimeout, IdleTimeout: c.Config.IdleTimeout, MetadataTTL: c.Config.MetadataTTL, ClientID: "bench-raw"}
	b.Cleanup(tr.CloseIdleConnections)
	raw := &kafka.Client{Addr: kafka.TCP(c.Config.Brokers...), Timeout: 30 * time.Second, Transport: tr}
	ctx := context.Background()
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := raw.Produce(ctx, &kafka.ProduceRequest{Topic: "bench", Partition: 0, RequiredAcks: kafka.RequireAll,
				Records: kafka.NewRecordReader(kafka.Record{Value: kafka.NewBytes(value)})})
			if err != nil || res.Error != nil {
				b.Fatal(err, res)
			}
		}
	})
	b.Run("kafkafn", func(b *testing.B) {
		recs := []broker.Record{{Partition: 0, Value: value}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bc.Produce(ctx, "bench", recs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
