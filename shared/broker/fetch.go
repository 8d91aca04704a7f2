package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
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
//
// Requests are pipelined: as soon as a response's records are counted (not yet copied), the
// next request is sent, so the broker prepares it while this one's records are copied out.
// The window ends on an error only where it would without pipelining: every request sent
// is waited for.
func (c *Client) FetchBudget(ctx context.Context, topic string, partition int, offset int64, maxCount int, maxBytes int64, budget Budget) (Window, error) {
	var msgs []Message
	w, err := c.fetch(ctx, topic, partition, offset, maxCount, maxBytes, budget, func(recs counted) error {
		var err error
		msgs, err = recs.copyOut(msgs, partition)
		return err
	})
	w.Messages = msgs
	return w, err
}

// FetchEach is FetchBudget that hands each record to each instead of keeping it, for a caller
// that encodes the window as it is read: m and its key and value are valid only during the
// call (they are read into buffers reused for the next record), and the Window it returns
// has no Messages. each returns false to end the window after m (Next is then m's offset +
// 1). The record data stays reserved from budget as with FetchBudget, standing for what
// the caller keeps of it.
func (c *Client) FetchEach(ctx context.Context, topic string, partition int, offset int64, maxCount int, maxBytes int64, budget Budget, each func(m *Message) bool) (Window, error) {
	var key, value []byte
	var m Message
	return c.fetch(ctx, topic, partition, offset, maxCount, maxBytes, budget, func(recs counted) error {
		for i := range recs.recs {
			r := &recs.recs[i]
			m = Message{Partition: partition, Offset: r.Offset, Time: r.Time, LogAppendTime: recs.logAppend[i], Headers: m.Headers[:0]}
			for _, h := range r.Headers {
				m.Headers = append(m.Headers, Header{Key: h.Key, Value: h.Value})
			}
			var err error
			if key, m.Key, err = reuse(key, r.Key); err == nil {
				value, m.Value, err = reuse(value, r.Value)
			}
			if err != nil {
				return err
			}
			if !each(&m) {
				return stopAt(r.Offset + 1)
			}
		}
		return nil
	})
}

// stopAt is a FetchEach visitor's request to end the window before the given offset.
type stopAt int64

func (s stopAt) Error() string {
	return "broker: window ends at offset " + strconv.FormatInt(int64(s), 10)
}

// reuse reads b (nil: nil) into buf, grown as needed, and returns both.
func reuse(buf []byte, b kafka.Bytes) ([]byte, []byte, error) {
	if b == nil {
		return buf, nil, nil
	}
	n := b.Len()
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	_, err := io.ReadFull(b, buf[:n])
	return buf, buf[:n], err
}

// fetch is the request loop of FetchBudget and FetchEach: visit takes each response's
// records (closing them); a stopAt error from it ends the window there.
func (c *Client) fetch(ctx context.Context, topic string, partition int, offset int64, maxCount int, maxBytes int64, budget Budget, visit func(counted) error) (Window, error) {
	w := Window{Next: offset, HighWatermark: -1, LogStart: -1}
	kept := 0         // records visited
	var spare counted // the last round's records, visited: their room is used again
	var size int64
	cur := c.sendRound(ctx, topic, partition, w.Next, fetchSize(maxCount, maxBytes), maxBytes, budget, true)
	for cur != nil {
		res := <-cur.done
		if res.err != nil {
			_ = cur.settle(budget, 0)
			if kept > 0 && errors.Is(res.err, errRefused) {
				break
			}
			return w, res.err
		}
		w.HighWatermark, w.LogStart = res.fr.HighWatermark, res.fr.LogStartOffset
		recs, next, full, err := countRecords(spare, res.fr.Records, w.Next, maxCount-kept, maxBytes-size)
		spare = recs
		if err != nil {
			_ = cur.settle(budget, 0)
			return w, classify("fetch", topic, partition, err)
		}
		got := len(recs.recs)
		if got == 0 && kept == 0 && full {
			_ = cur.settle(budget, 0)
			return w, newError("fetch", topic, partition, apierr.TooLarge, "record_too_large",
				fmt.Sprintf("the record at offset %d is larger than the %d-byte response cap (CONSUME_MAX_BYTES)", w.Next, maxBytes), nil)
		}
		// Settle to what is kept before the next request reserves its room, so one window
		// never holds two requests' reservations at once.
		if gerr := cur.settle(budget, recs.size); gerr != nil {
			if kept > 0 {
				return w, nil
			}
			return w, gerr
		}
		var following *round
		if !full && got > 0 && next < w.HighWatermark {
			left := maxBytes - size - recs.size
			following = c.sendRound(ctx, topic, partition, next, fetchSize(maxCount-kept-got, left), left, budget, false)
		}
		err = visit(recs)
		if s, ok := err.(stopAt); ok {
			// The visitor ended the window early; what it did not take stays reserved
			// (it is little: the rest of one response) until the answer is written.
			following.abandon(budget)
			w.Next = int64(s)
			return w, nil
		}
		if err != nil {
			following.abandon(budget)
			return w, classify("fetch", topic, partition, err)
		}
		w.Next, kept, size = next, kept+got, size+recs.size
		cur = following
	}
	return w, nil
}

// errRefused is a budget refusal for a request sent ahead while the window holds records.
var errRefused = errors.New("broker: budget refused")

// round is one Fetch request in flight and the budget it reserved.
type round struct {
	reserve int64
	done    chan roundResult
}

type roundResult struct {
	fr  *kafka.FetchResponse
	err error
}

// sendRound reserves budget for a Fetch request of max bytes at offset and sends it. Kafka
// returns a first record batch larger than asked for whole (KIP-74); a batch is at most
// message.max.bytes, 1 MiB by default, so that much is reserved, twice: kafka-go reads the
// response whole before its records are copied out. first says the window has no record
// yet: the reservation may then wait for room.
func (c *Client) sendRound(ctx context.Context, topic string, partition int, offset, size, bytesLeft int64, budget Budget, first bool) *round {
	r := &round{reserve: 2 * max(size, min(fetchMaxBytes, bytesLeft)), done: make(chan roundResult, 1)}
	if budget != nil {
		if err := budget.Grow(ctx, r.reserve, first); err != nil {
			if !first {
				err = errRefused
			}
			r.reserve = 0
			r.done <- roundResult{err: err}
			return r
		}
	}
	go func() {
		var res roundResult
		res.err = c.retryOnce(ctx, "fetch", topic, partition, idempotentCall, func(ctx context.Context) error {
			var err error
			res.fr, err = c.kc.Fetch(ctx, &kafka.FetchRequest{
				Topic: topic, Partition: partition, Offset: offset,
				MinBytes: 1, MaxBytes: size, MaxWait: time.Millisecond,
			})
			if err != nil {
				return err
			}
			return res.fr.Error
		})
		if errors.Is(res.err, kafka.OffsetOutOfRange) {
			res.err = c.outOfRange(ctx, topic, partition, offset, res.err)
		}
		r.done <- res
	}()
	return r
}

// settle turns r's reservation into the got bytes of records kept. A refusal of more than
// was reserved gives the whole reservation back and is returned.
func (r *round) settle(budget Budget, got int64) error {
	if budget == nil {
		return nil
	}
	if got > r.reserve {
		if err := budget.Grow(context.Background(), got-r.reserve, false); err != nil {
			budget.Shrink(r.reserve)
			return err
		}
		return nil
	}
	budget.Shrink(r.reserve - got)
	return nil
}

// abandon waits for a request sent ahead that is no longer wanted (nil: none) and gives its
// reservation back.
func (r *round) abandon(budget Budget) {
	if r == nil {
		return
	}
	<-r.done
	_ = r.settle(budget, 0)
}

// counted is the records of one fetch response that a window keeps, not yet copied out.
type counted struct {
	recs      []kafka.Record
	logAppend []bool
	size      int64 // their key, value and header bytes
}

// batchesOf is the record batches of a fetch response.
func batchesOf(rr kafka.RecordReader) []kafka.RecordReader {
	if s, ok := rr.(*protocol.RecordStream); ok {
		return s.Records
	}
	return []kafka.RecordReader{rr}
}

// countRecords reads the records of one fetch response from offset next on (their bytes stay
// in kafka-go's pages), up to maxCount records or maxBytes of record data (full = true), and
// reports the offset to read after them, reusing the room of c (records already visited).
// Control batches (transaction markers) are skipped.
// The records are not closed: kafka-go would pool their pages, and its pool then holds the
// peak of concurrent fetches (64 MiB for 64 reads of 1 MiB) until two collections later.
func countRecords(c counted, rr kafka.RecordReader, next int64, maxCount int, maxBytes int64) (_ counted, after int64, full bool, err error) {
	c = counted{recs: c.recs[:0], logAppend: c.logAppend[:0]}
	after = next
	for _, b := range batchesOf(rr) {
		logAppend := false
		if rb, ok := b.(*protocol.RecordBatch); ok {
			if rb.Attributes.Control() {
				// Skip transaction markers, but move past them so the window never stalls.
				for {
					r, err := rb.ReadRecord()
					if err != nil {
						break
					}
					if r.Offset >= after {
						after = r.Offset + 1
					}
				}
				continue
			}
			logAppend = rb.Attributes&0x08 != 0 // timestamp type bit
		}
		for !full {
			if len(c.recs) >= maxCount {
				full = true
				break
			}
			r, rerr := b.ReadRecord()
			if errors.Is(rerr, io.EOF) {
				break
			}
			if rerr != nil {
				return counted{}, next, false, rerr
			}
			if r.Offset < after { // a batch may start before the requested offset
				continue
			}
			n := recordSize(r)
			for _, h := range r.Headers {
				n += int64(len(h.Key) + len(h.Value))
			}
			if c.size+n > maxBytes {
				full = true
				break
			}
			c.size += n
			c.recs = append(c.recs, *r)
			c.logAppend = append(c.logAppend, logAppend)
			after = r.Offset + 1
		}
	}
	return c, after, full || len(c.recs) >= maxCount, nil
}

// copyOut appends c's records to msgs as Messages. Keys and values are copied out of
// kafka-go's pages once, into a few larger allocations (slab).
func (c counted) copyOut(msgs []Message, partition int) ([]Message, error) {
	var mem slab
	for i := range c.recs {
		r := &c.recs[i]
		m := Message{Partition: partition, Offset: r.Offset, Time: r.Time, LogAppendTime: c.logAppend[i]}
		if len(r.Headers) > 0 {
			m.Headers = make([]Header, len(r.Headers))
			for i, h := range r.Headers {
				m.Headers[i] = Header{Key: h.Key, Value: h.Value}
			}
		}
		var err error
		if m.Key, err = mem.read(r.Key); err == nil {
			m.Value, err = mem.read(r.Value)
		}
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
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
