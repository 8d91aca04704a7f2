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
	type head struct {
		msgs  []broker.Message
		i     int
		after int64 // the fetch's next offset (beyond skipped control records)
	}
	heads := make([]head, len(open))
	errs := make([]error, len(open))
	var wg sync.WaitGroup
	for k, s := range open {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
