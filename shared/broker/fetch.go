package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Message is one consumed record.
type Message struct {
	Partition     int
	Offset        int64
	Key           []byte // nil: no key
	Value         []byte // nil: a null value (tombstone)
	Headers       []Header
	Time          time.Time
	LogAppendTime bool // the timestamp was set by the broker, not the producer
}

// Size is the record data Message carries: key, value and headers.
func (m *Message) Size() int64 {
	n := int64(len(m.Key) + len(m.Value))
	for _, h := range m.Headers {
		n += int64(len(h.Key) + len(h.Value))
	}
	return n
}

// Window is a run of records of one partition.
type Window struct {
	Messages      []Message
	Next          int64 // the offset to read next: last offset + 1, or the requested offset when empty
	HighWatermark int64
	LogStart      int64
}

// fetchMaxBytes is the most one Fetch request asks for; a window loops until its caps.
const fetchMaxBytes = 1 << 20

// fetchMinBytes is the least one Fetch request asks for. Kafka returns the first record
// batch whole even when it is larger (KIP-74), so a small request never stalls.
const fetchMinBytes = 64 << 10

// fetchSize sizes one Fetch request for the records still wanted: about 2 KiB each, between
// fetchMinBytes and fetchMaxBytes, and never more than the bytes left. A window of 10
// records then reads 64 KiB, not 1 MiB (kafka-go reads and copies the whole response).
func fetchSize(records int, bytesLeft int64) int64 {
	want := int64(records) * 2 << 10
	return max(1, min(max(want, fetchMinBytes), fetchMaxBytes, bytesLeft))
}

// Fetch reads up to maxCount records (and at most maxBytes of record data) of one partition,
// starting at offset. It returns at once with what is there: reading at the end of the log
// gives an empty window with Next = offset. An offset outside [log start, high watermark] is
// an Invalid error with code offset_out_of_range that names the valid range. A single record
// larger than maxBytes is a TooLarge error, since it could never be returned.
func (c *Client) Fetch(ctx context.Context, topic string, partition int, offset int64, maxCount int, maxBytes int64) (Window, error) {
	return c.FetchBudget(ctx, topic, partition, offset, maxCount, maxBytes, nil)
}

// Budget accounts for the record data reads hold in memory at once (shared/httpio's
// response budget implements it).
type Budget interface {
	// Grow reserves n more bytes. wait is true while the read has no record yet: it may
	// then wait for room; otherwise it must answer at once, and a refusal ends the window
	// early with the records it has.
	Grow(ctx context.Context, n int64, wait bool) error
	// Shrink gives n bytes back.
	Shrink(n int64)
}

// FetchBudget is Fetch with the record data reserved from budget (nil: none) as it is
// read: each Fetch request's size before it is sent, settled to the records kept when it
// is in. The records of the window stay reserved (the caller answers with them, then gives
// the budget back); a refusal before the first record is returned as the error, a later one
// ends the window early (Next says where to go on).
func (c *Client) FetchBudget(ctx context.Context, topic string, partition int, offset int64, maxCount int, maxBytes int64, budget Budget) (Window, error) {
	w := Window{Next: offset, HighWatermark: -1, LogStart: -1}
	var size int64
	for len(w.Messages) < maxCount {
		round := fetchSize(maxCount-len(w.Messages), maxBytes-size)
		// Kafka returns a first record batch larger than asked for whole (KIP-74); a batch
		// is at most message.max.bytes, 1 MiB by default, so that much is reserved, twice:
		// kafka-go reads the response whole before its records are copied out.
		reserve := 2 * max(round, min(fetchMaxBytes, maxBytes-size))
		if budget != nil {
			if err := budget.Grow(ctx, reserve, len(w.Messages) == 0); err != nil {
				if len(w.Messages) > 0 {
					break
				}
				return w, err
			}
		}
		before := size
		var err error
		w, err = c.fetchRound(ctx, topic, partition, w, round, maxCount, maxBytes, &size)
		if budget != nil {
			if got := size - before; got > reserve {
				if gerr := budget.Grow(ctx, got-reserve, false); gerr != nil {
					budget.Shrink(reserve)
					if before > 0 {
						return c.trim(w, before), nil
					}
					return w, gerr
				}
			} else {
				budget.Shrink(reserve - got)
			}
		}
		if err == errWindowDone {
			break
		}
		if err != nil {
			return w, err
		}
	}
	return w, nil
}

var errWindowDone = errors.New("broker: window done")

// fetchRound sends one Fetch request for w and appends its records; errWindowDone means the
// window is complete.
func (c *Client) fetchRound(ctx context.Context, topic string, partition int, w Window, round int64, maxCount int, maxBytes int64, size *int64) (Window, error) {
	var fr *kafka.FetchResponse
	err := c.retryOnce(ctx, "fetch", topic, partition, idempotentCall, func(ctx context.Context) error {
		var err error
		fr, err = c.kc.Fetch(ctx, &kafka.FetchRequest{
			Topic: topic, Partition: partition, Offset: w.Next,
			MinBytes: 1, MaxBytes: round, MaxWait: time.Millisecond,
		})
		if err != nil {
			return err
		}
		return fr.Error
	})
	if errors.Is(err, kafka.OffsetOutOfRange) {
		return w, c.outOfRange(ctx, topic, partition, w.Next, err)
	}
	if err != nil {
		return w, err
	}
	w.HighWatermark, w.LogStart = fr.HighWatermark, fr.LogStartOffset
	got, full, err := readRecords(fr.Records, partition, &w, maxCount, maxBytes, size)
	if err != nil {
		return w, classify("fetch", topic, partition, err)
	}
	if full || got == 0 || w.Next >= w.HighWatermark {
		if got == 0 && len(w.Messages) == 0 && full {
			return w, newError("fetch", topic, partition, apierr.TooLarge, "record_too_large",
				fmt.Sprintf("the record at offset %d is larger than the %d-byte response cap (CONSUME_MAX_BYTES)", w.Next, maxBytes), nil)
		}
		return w, errWindowDone
	}
	return w, nil
}

// trim drops the records of w beyond size bytes of record data.
func (c *Client) trim(w Window, size int64) Window {
	var n int64
	for i := range w.Messages {
		if n+w.Messages[i].Size() > size {
			w.Messages = w.Messages[:i]
			w.Next = w.Messages[len(w.Messages)-1].Offset + 1
			break
		}
		n += w.Messages[i].Size()
	}
	return w
}

// readRecords appends the records of one fetch response to w, stopping at maxCount records
// or maxBytes of record data (full = true). Control batches (transaction markers) are
// skipped. Keys and values are copied out of kafka-go's pages once, into a few larger
// allocations (slab), and every record read is closed, so kafka-go reuses its pages for the
// next fetch instead of allocating them again.
func readRecords(rr kafka.RecordReader, partition int, w *Window, maxCount int, maxBytes int64, size *int64) (got int, full bool, err error) {
	batches := []kafka.RecordReader{rr}
	if s, ok := rr.(*protocol.RecordStream); ok {
		batches = s.Records
	}
	defer func() {
		for _, b := range batches {
			drain(b)
		}
	}()
	var mem slab
	for _, b := range batches {
		logAppend := false
		if rb, ok := b.(*protocol.RecordBatch); ok {
			if rb.Attributes.Control() {
				// Skip transaction markers, but move past them so the window never stalls.
				for {
					r, err := rb.ReadRecord()
					if err != nil {
						break
					}
					closeRecord(r)
					if r.Offset >= w.Next {
						w.Next = r.Offset + 1
					}
				}
				continue
			}
			logAppend = rb.Attributes&0x08 != 0 // timestamp type bit
		}
		for len(w.Messages) < maxCount {
			r, err := b.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return got, false, err
			}
			if r.Offset < w.Next { // a batch may start before the requested offset
				closeRecord(r)
				continue
			}
			m := Message{Partition: partition, Offset: r.Offset, Time: r.Time, LogAppendTime: logAppend}
			if len(r.Headers) > 0 {
				m.Headers = make([]Header, len(r.Headers))
				for i, h := range r.Headers {
					m.Headers[i] = Header{Key: h.Key, Value: h.Value}
				}
			}
			if *size+recordSize(r)+m.Size() > maxBytes {
				closeRecord(r)
				return got, true, nil
			}
			m.Key, err = mem.read(r.Key)
			if err == nil {
				m.Value, err = mem.read(r.Value)
			}
			closeRecord(r)
			if err != nil {
				return got, false, err
			}
			*size += m.Size()
			w.Messages = append(w.Messages, m)
			w.Next = r.Offset + 1
			got++
		}
		if len(w.Messages) >= maxCount {
			return got, true, nil
		}
	}
	return got, false, nil
}

// recordSize is the key and value bytes of r.
func recordSize(r *kafka.Record) int64 {
	var n int
	if r.Key != nil {
		n += r.Key.Len()
	}
	if r.Value != nil {
		n += r.Value.Len()
	}
	return int64(n)
}

// closeRecord gives r's references to kafka-go's pages back.
func closeRecord(r *kafka.Record) {
	if r.Key != nil {
		r.Key.Close()
	}
	if r.Value != nil {
		r.Value.Close()
	}
}

// drain closes the records of b that were not read.
func drain(b kafka.RecordReader) {
	for {
		r, err := b.ReadRecord()
		if err != nil {
			return
		}
		closeRecord(r)
	}
}

// slab hands out the key and value bytes of one fetch round from a few allocations, growing
// from slabMin to slabMax, instead of one per key and value; larger ones get their own.
type slab struct {
	free []byte
	next int
}

const (
	slabMin = 8 << 10
	slabMax = 256 << 10
)

// read copies b (nil: nil) out of kafka-go's pages.
func (s *slab) read(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	n := b.Len()
	var out []byte
	if n > slabMax/4 {
		out = make([]byte, n)
	} else {
		if len(s.free) < n {
			s.next = min(max(2*s.next, slabMin), slabMax)
			s.free = make([]byte, s.next)
		}
		out, s.free = s.free[:n:n], s.free[n:]
	}
	_, err := io.ReadFull(b, out)
	return out, err
}

// outOfRange builds the offset_out_of_range error with the partition's valid range.
func (c *Client) outOfRange(ctx context.Context, topic string, partition int, offset int64, cause error) error {
	msg := fmt.Sprintf("offset %d is outside the log of %s/%d", offset, topic, partition)
	if offs, err := c.Offsets(ctx, topic, []int{partition}); err == nil {
		r := offs[partition]
		msg = fmt.Sprintf("offset %d is outside the log of %s/%d: valid offsets are %d to %d (the end offset reads nothing yet)",
			offset, topic, partition, r.Earliest, r.Latest)
	}
	return newError("fetch", topic, partition, apierr.Invalid, "offset_out_of_range", msg, cause)
}
