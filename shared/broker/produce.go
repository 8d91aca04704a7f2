package broker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// murmur2 is the key balancer (for a keyed message it keeps no state, so one is shared).
var murmur2 = &kafka.Murmur2Balancer{}

// AnyPartition asks Produce to choose the partition.
const AnyPartition = -1

// MaxPartitionID is the largest partition number Kafka can hold (an int32); it bounds
// partition numbers read from outside input.
const MaxPartitionID = 1<<31 - 1

// Record is one record to produce.
type Record struct {
	// Partition is the target partition, or AnyPartition: then a keyed record goes to
	// murmur2(key) % partitions (the Java client's default, so keys land where Java
	// producers put them) and all keyless records of one request go to one partition,
	// rotating between requests (the sticky partitioner's behaviour).
	Partition int
	Key       []byte // nil: no key
	Value     []byte
	Headers   []Header
	Time      time.Time // zero: the time of the request
}

// Produced is the outcome of one record, in request order.
type Produced struct {
	Partition int
	Offset    int64     // -1 when Err is set
	Time      time.Time // the record's timestamp (log append time when the topic uses it)
	Err       error     // nil when Kafka acknowledged the record
}

// Produce writes records to topic with acks=all and returns one outcome per record, in
// order. Records for different partitions are written concurrently; records of one
// partition keep their order in one request. err is the first failure (classified), nil only
// when Kafka acknowledged every record. The caller must have validated every record: Produce
// sends what it gets. A topic ValidateTopicName refuses (an internal topic) fails every
// record before anything is sent.
func (c *Client) Produce(ctx context.Context, topic string, records []Record) ([]Produced, error) {
	if len(records) == 0 {
		return []Produced{}, nil
	}
	if err := ValidateTopicName(topic); err != nil {
		return failAll(make([]Produced, len(records)), records, err), err
	}
	out, err := c.produceOnce(ctx, topic, records)
	var be *Error
	if err != nil && errors.As(err, &be) && be.Code == "unknown_partition" && !AnyAcknowledged(out) && allUnpartitioned(records) {
		// Every partition was chosen here, from a cached partition count that turned out
		// stale (the topic was re-created with fewer partitions). Nothing was written:
		// choose again from fresh metadata.
		c.refresh(c.gen.Load())
		out, err = c.produceOnce(ctx, topic, records)
	}
	if err != nil {
		c.parts.forget(topic) // the next produce asks for the topic's metadata again
	}
	return out, err
}

func (c *Client) produceOnce(ctx context.Context, topic string, records []Record) ([]Produced, error) {
	out := make([]Produced, len(records))
	n, err := c.PartitionCount(ctx, topic)
	if err != nil {
		return failAll(out, records, err), err
	}
	now := time.Now().Truncate(time.Millisecond)
	sticky := int(c.rr.Add(1)-1) % n
	var ids []int // partition ids for the key balancer, made on the first key
	same := true  // every record goes to one partition
	for i, r := range records {
		p := r.Partition
		switch {
		case p == AnyPartition && r.Key != nil:
			if ids == nil {
				ids = partitionIDs(n)
			}
			p = murmur2.Balance(kafka.Message{Key: r.Key}, ids...)
		case p == AnyPartition:
			p = sticky
		case p < 0 || p >= n:
			err := unknownPartition("produce", topic, p, n)
			return failAll(out, records, err), err
		}
		if i > 0 && p != out[0].Partition {
			same = false
		}
		out[i] = Produced{Partition: p, Offset: -1, Time: r.Time}
		if r.Time.IsZero() {
			out[i].Time = now
		}
	}
	if same {
		// One partition (the common case: keyless records, or one partition named): one
		// call, made here rather than on a goroutine waited for; nil idx is every record.
		return out, c.producePartition(ctx, topic, out[0].Partition, nil, records, out)
	}
	groups := map[int][]int{} // partition → record indexes
	var order []int
	for i := range out {
		p := out[i].Partition
		if _, ok := groups[p]; !ok {
			order = append(order, p)
		}
		groups[p] = append(groups[p], i)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(order))
	for gi, p := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[gi] = c.producePartition(ctx, topic, p, groups[p], records, out)
		}()
	}
	wg.Wait()
	for gi := range order {
		if errs[gi] != nil {
			return out, errs[gi]
		}
	}
	return out, nil
}

// producePartition sends records[idx[j]] for every j (every record when idx is nil) to
// partition p, one batch, and fills in their outcomes in out.
func (c *Client) producePartition(ctx context.Context, topic string, p int, idx []int, records []Record, out []Produced) error {
	n := len(idx)
	if idx == nil {
		n = len(records)
	}
	at := func(j int) int { // the index in records of the batch's record j
		if idx == nil {
			return j
		}
		return idx[j]
	}
	var res *kafka.ProduceResponse
	// Errors that prove nothing was appended are retried (see retryOf), and so is a broken
	// connection (a pooled connection that died while idle): if it broke after the broker
	// appended the batch, the retry duplicates it (at-least-once, docs/reliability.md). A
	// timeout is reported as an unknown outcome, not retried.
	err := c.retryOnce(ctx, "produce", topic, p, produceCall, func(ctx context.Context) error {
		var err error
		res, err = c.kc.Produce(ctx, &kafka.ProduceRequest{
			Topic: topic, Partition: p, RequiredAcks: kafka.RequireAll,
			// A record's Key and Value are readers, consumed by a send: every attempt gets
			// its own reader.
			Records: &batchReader{records: records, idx: idx, out: out, n: n},
		})
		if err != nil {
			return err
		}
		if res.Error != nil {
			return res.Error
		}
		for _, e := range res.RecordErrors {
			if e != nil {
				return e
			}
		}
		return nil
	})
	if err != nil {
		for j := range n {
			out[at(j)].Err = err
		}
		return err
	}
	for j := range n {
		i := at(j)
		out[i].Offset = res.BaseOffset + int64(j)
		if !res.LogAppendTime.IsZero() {
			out[i].Time = res.LogAppendTime
		}
	}
	return nil
}

// batchReader is the kafka.RecordReader of one producePartition attempt: records[idx[j]]
// for j < n (records[j] when idx is nil), timestamped from out. It hands out one record at a
// time in buffers of its own, reused for the next record, rather than a kafka.Record and two
// readers per record copied into kafka.NewRecordReader's slice: kafka-go writes each record
// (and closes its Key and Value) before it asks for the next (protocol.forEachRecord).
type batchReader struct {
	records    []Record
	idx        []int
	out        []Produced
	n, j       int
	rec        kafka.Record
	key, value bytesReader
	headers    []kafka.Header
}

// ReadRecord implements kafka.RecordReader.
func (b *batchReader) ReadRecord() (*kafka.Record, error) {
	if b.j >= b.n {
		return nil, io.EOF
	}
	i := b.j
	if b.idx != nil {
		i = b.idx[b.j]
	}
	b.j++
	r := &b.records[i]
	b.rec = kafka.Record{Time: b.out[i].Time}
	if r.Value != nil { // nil: a null value (kafka.NewBytes(nil) is nil too)
		b.value.Reset(r.Value)
		b.rec.Value = &b.value
	}
	if r.Key != nil {
		b.key.Reset(r.Key)
		b.rec.Key = &b.key
	}
	if len(r.Headers) > 0 {
		b.headers = b.headers[:0]
		for _, h := range r.Headers {
			b.headers = append(b.headers, kafka.Header{Key: h.Key, Value: h.Value})
		}
		b.rec.Headers = b.headers
	}
	return &b.rec, nil
}

// bytesReader is a record's Key or Value for kafka-go (protocol.Bytes).
type bytesReader struct{ bytes.Reader }

// Close implements io.Closer.
func (*bytesReader) Close() error { return nil }

func failAll(out []Produced, records []Record, err error) []Produced {
	for i, r := range records {
		out[i] = Produced{Partition: r.Partition, Offset: -1, Time: r.Time, Err: err}
	}
	return out
}

// Acknowledged reports whether Kafka acknowledged the record: it has an offset and no error.
func (p *Produced) Acknowledged() bool { return p.Err == nil && p.Offset >= 0 }

// AnyAcknowledged reports whether Kafka acknowledged at least one of the records: a failed
// produce that acknowledged some is a partial failure, not a clean one.
func AnyAcknowledged(ps []Produced) bool {
	for i := range ps {
		if ps[i].Acknowledged() {
			return true
		}
	}
	return false
}

func allUnpartitioned(records []Record) bool {
	for _, r := range records {
		if r.Partition != AnyPartition {
			return false
		}
	}
	return true
}

func partitionIDs(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	return ids
}
