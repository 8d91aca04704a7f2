package broker

import (
	"context"
	"time"

	"github.com/segmentio/kafka-go"
)

// OffsetsForTimes returns, for each of topic's partitions, the offset of the first record
// whose timestamp is at or after t, or the partition's high watermark when there is none
// (Kafka's ListOffsets by timestamp). A time before the log start gives the log start.
// Unknown topic or partition: NotFound.
func (c *Client) OffsetsForTimes(ctx context.Context, topic string, partitions []int, t time.Time) (map[int]int64, error) {
	reqs := make([]kafka.OffsetRequest, 0, 2*len(partitions))
	for _, p := range partitions {
		reqs = append(reqs, kafka.TimeOffsetOf(p, t), kafka.LastOffsetOf(p))
	}
	var out map[int]int64
	err := c.retryOnce(ctx, "list offsets by time", topic, -1, idempotentCall, func(ctx context.Context) error {
		res, err := c.kc.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
		if err != nil {
			return err
		}
		out = make(map[int]int64, len(partitions))
		for _, po := range res.Topics[topic] {
			if po.Error != nil {
				return listOffsetsError(po.Error)
			}
			// Offsets is keyed by offset; its value is the requested time, not the record's,
			// and -1 means "no record at or after t" (notes/kafka.md §4.11).
			off := po.LastOffset
			for o := range po.Offsets {
				if o >= 0 && o < off {
					off = o
				}
			}
			out[po.Partition] = off
		}
		for _, p := range partitions {
			if _, ok := out[p]; !ok {
				return kafka.UnknownTopicOrPartition
			}
		}
		return nil
	})
	return out, err
}
