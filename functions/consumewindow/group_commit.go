package consumewindow

import (
	"context"
	"fmt"
	"slices"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
)

// commitOffsets stores the commit token's offsets if the group's committed offsets are still
// the ones the window was read from. A partition that already holds the token's offset (the
// same token committed before) is left alone, so a repeated commit succeeds. Any other change is
// a Conflict and nothing is committed: a committed offset is never moved backwards or
// sideways by a stale commit token.
func commitOffsets(ctx context.Context, d Deps, t *commitToken) (CommitResponse, error) {
	out := CommitResponse{Group: t.Group, Topic: t.Topic, Committed: []PartitionOffset{}}
	if len(t.Partitions) == 0 {
		return out, nil
	}
	if err := checkCommitTokenRange(ctx, d.Broker, t); err != nil {
		return out, err
	}
	mu := commitLock(t.Group)
	mu.Lock()
	defer mu.Unlock()
	ids := make([]int, len(t.Partitions))
	for i, p := range t.Partitions {
		ids[i] = p.Partition
	}
	now, err := d.Broker.CommittedOffsets(ctx, t.Group, t.Topic, ids)
	if err != nil {
		return out, err
	}
	todo := map[int]int64{}
	for _, p := range t.Partitions {
		switch now[p.Partition] {
		case p.Committed:
			todo[p.Partition] = p.Next
		case p.Next: // already committed by this commit token
		default:
			return out, apierr.E(apierr.Conflict, "group_moved_on", fmt.Sprintf(
				"consumer group %q moved on since the window was read: partition %d was at %s, is now at %s; nothing was committed (read the window again)",
				t.Group, p.Partition, offsetText(p.Committed), offsetText(now[p.Partition])))
		}
	}
	if err := d.Broker.CommitOffsets(ctx, t.Group, t.Topic, todo); err != nil {
		return out, err
	}
	for _, p := range t.Partitions {
		out.Committed = append(out.Committed, PartitionOffset{Partition: p.Partition, Offset: p.Next})
	}
	slices.SortFunc(out.Committed, func(a, b PartitionOffset) int { return a.Partition - b.Partition })
	return out, nil
}

func offsetText(off int64) string {
	if off == broker.NoCommit {
		return "no commit"
	}
	return fmt.Sprint(off)
}
