package consumewindow

import (
	"context"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/groups"
)

// groupBatch is one group window.
type groupBatch struct {
	messages    []broker.Message
	commitToken commitToken
	caughtUp    bool
}

// readGroupWindow reads the next window of topic for group from its committed offsets
// (reset where it has none, or where its commit points before the log start), its record
// data reserved from budget (nil: none).
func readGroupWindow(ctx context.Context, d Deps, group, topic, reset string, count int, maxBytes int64, budget broker.Budget) (groupBatch, error) {
	parts, err := d.Broker.Partitions(ctx, topic)
	if err != nil {
		return groupBatch{}, err
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	committed, err := d.Broker.CommittedOffsets(ctx, group, topic, ids)
	if err != nil {
		return groupBatch{}, err
	}
	spans := make([]span, len(parts))
	for i, p := range parts {
		start := committed[p.ID]
		if start == broker.NoCommit || start < p.Earliest {
			start = p.Earliest
			if reset == groups.ResetLatest {
				start = p.Latest
			}
		}
		spans[i] = span{partition: p.ID, next: start, end: p.Latest}
	}
	res, err := readMerged(ctx, d.Broker, topic, spans, count, maxBytes, nil, budget)
	if err != nil {
		return groupBatch{}, err
	}
	b := groupBatch{messages: res.messages, caughtUp: res.done,
		commitToken: commitToken{V: commitTokenVersion, Group: group, Topic: topic, Issued: time.Now().UnixMilli(), Partitions: []commitTokenOffset{}}}
	for _, id := range ids {
		if n := res.next[id]; n != committed[id] {
			b.commitToken.Partitions = append(b.commitToken.Partitions, commitTokenOffset{Partition: id, Committed: committed[id], Next: n})
		}
	}
	return b, nil
}

func groupLagOf(ctx context.Context, d Deps, group, topic string) (LagResponse, error) {
	parts, err := d.Broker.Partitions(ctx, topic)
	if err != nil {
		return LagResponse{}, err
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	committed, err := d.Broker.CommittedOffsets(ctx, group, topic, ids)
	if err != nil {
		return LagResponse{}, err
	}
	out := LagResponse{Group: group, Topic: topic, Partitions: make([]PartitionLag, len(parts))}
	for i, p := range parts {
		pl := PartitionLag{Partition: p.ID, LogStartOffset: p.Earliest, EndOffset: p.Latest}
		from := p.Earliest
		if c := committed[p.ID]; c != broker.NoCommit {
			pl.Committed = &c
			from = max(c, p.Earliest)
		}
		pl.Lag = max(p.Latest-from, 0)
		out.Lag += pl.Lag
		out.Partitions[i] = pl
	}
	return out, nil
}
