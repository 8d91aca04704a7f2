package consumewindow

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// span is the part of one partition a window reads: offsets [next, end).
type span struct {
	partition int
	next, end int64
}

// merged is what readMerged returns.
type merged struct {
	messages []broker.Message
	next     map[int]int64 // partition → the offset to read next
	done     bool          // every span reached its end
}

// minShare is the smallest per-partition byte budget of one read round.
const minShare = 64 << 10

// fetchConcurrency is how many partitions one window fetches at once.
const fetchConcurrency = 8

// prepayer is implemented by a budget that can reserve a whole window's room up front
// (httpio.Hold).
type prepayer interface {
	Prepay(ctx context.Context, n int64) (int64, error)
}

// readMerged reads up to count records (and maxBytes of record data) from spans and merges
// them in timestamp order, keeping each partition's offset order: it repeatedly takes the
// partition head with the smallest timestamp (ties: lower partition). It stops as soon as a
// partition that has not reached its end has no fetched record left, so a record is never
// returned ahead of an earlier-stamped one that was not fetched yet. keep filters records
// (nil keeps all); skipped records are still passed over, so next moves beyond them. The
// record data fetched is reserved from budget (nil: none).
func readMerged(ctx context.Context, b *broker.Client, topic string, spans []span, count int, maxBytes int64, keep func(*broker.Message) bool, budget broker.Budget) (merged, error) {
	out := merged{next: make(map[int]int64, len(spans))}
	var open []span
	for _, s := range spans {
		out.next[s.partition] = s.next
		if s.next < s.end {
			open = append(open, s)
		}
	}
	if len(open) == 0 {
		out.done = true
		return out, nil
	}
	share := maxBytes / int64(len(open))
	share = max(min(share, maxBytes), min(int64(minShare), maxBytes))
	// With a response budget the window takes its room at once (httpio.Hold.Prepay): what it
	// keeps (at most share per partition) and its fetches in flight (each reserves at most
	// twice its share, and at most 2 MiB: broker.FetchBudget) must fit in what it prepaid, so
	// it never waits for room that its own other partitions hold.
	if p, ok := budget.(prepayer); ok {
		prepaid, err := p.Prepay(ctx, 2*maxBytes)
		if err != nil {
			return out, err
		}
		n, inflight := int64(len(open)), int64(min(len(open), fetchConcurrency))
		if n*share+inflight*min(2*share, 2<<20) > prepaid {
			share = max(prepaid/(n+2*inflight), 1)
		}
	}
	type head struct {
		msgs  []broker.Message
		i     int
		after int64 // the fetch's next offset (beyond skipped control records)
	}
	heads := make([]head, len(open))
	errs := make([]error, len(open))
	var wg sync.WaitGroup
	// At most fetchConcurrency partitions are fetched at once, so one window's reservations in
	// flight stay bounded however many partitions the topic has (each reserves up to twice its
	// round, see broker.FetchBudget): a request cannot take the whole response budget and then
	// wait for itself.
	slots := make(chan struct{}, fetchConcurrency)
	for k, s := range open {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			n := int(min(int64(count), s.end-s.next))
			w, err := b.FetchBudget(ctx, topic, s.partition, s.next, n, share, budget)
			if apierr.KindOf(err) == apierr.TooLarge && share < maxBytes {
				// One record is larger than this partition's share: fetch it alone.
				w, err = b.FetchBudget(ctx, topic, s.partition, s.next, 1, maxBytes, budget)
			}
			if err != nil {
				errs[k] = err
				return
			}
			msgs := w.Messages
			for j := range msgs {
				if msgs[j].Offset >= s.end {
					msgs = msgs[:j]
					break
				}
			}
			heads[k] = head{msgs: msgs, after: min(w.Next, s.end)}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	var size int64
	for len(out.messages) < count {
		best := -1
		for k := range heads {
			h := &heads[k]
			// Pass over records the filter drops.
			for h.i < len(h.msgs) && keep != nil && !keep(&h.msgs[h.i]) {
				out.next[open[k].partition] = h.msgs[h.i].Offset + 1
				h.i++
			}
			if h.i == len(h.msgs) {
				out.next[open[k].partition] = max(out.next[open[k].partition], h.after)
				if h.after < open[k].end {
					best = -2 // this partition may hold earlier records not fetched yet
					break
				}
				continue
			}
			if best < 0 || h.msgs[h.i].Time.Before(heads[best].msgs[heads[best].i].Time) {
				best = k
			}
		}
		if best < 0 {
			break
		}
		m := heads[best].msgs[heads[best].i]
		if size+m.Size() > maxBytes && len(out.messages) > 0 {
			break
		}
		size += m.Size()
		out.messages = append(out.messages, m)
		heads[best].i++
		out.next[m.Partition] = m.Offset + 1
	}
	out.done = true
	for _, s := range spans {
		if out.next[s.partition] < s.end {
			out.done = false
		}
	}
	return out, nil
}

// noteConsumed adds the records of an answer, their bytes and the Kafka time since start to
// the request's metrics.
func noteConsumed(r *http.Request, msgs []broker.Message, start time.Time) {
	size := 0
	for i := range msgs {
		size += int(msgs[i].Size())
	}
	httpio.NoteConsumed(r, len(msgs), size, time.Since(start))
}
