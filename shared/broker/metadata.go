package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Ping checks that a broker answers a metadata request.
func (c *Client) Ping(ctx context.Context) error {
	err := c.withMetaConn(ctx, "ping", func(conn *kafka.Conn) error {
		_, err := conn.Brokers()
		return err
	})
	return classify("ping", "", -1, err)
}

// Topics lists the cluster's topics, fresh (a topic created a moment ago by any client is
// listed), sorted, with internal topics (names starting with "__") hidden.
func (c *Client) Topics(ctx context.Context) ([]string, error) {
	var parts []kafka.Partition
	err := c.withMetaConn(ctx, "list topics", func(conn *kafka.Conn) error {
		var err error
		parts, err = conn.ReadPartitions()
		return err
	})
	if err != nil {
		return nil, classify("list topics", "", -1, err)
	}
	seen := map[string]struct{}{}
	topics := []string{}
	for _, p := range parts {
		if strings.HasPrefix(p.Topic, "__") {
			continue
		}
		if _, ok := seen[p.Topic]; !ok {
			seen[p.Topic] = struct{}{}
			topics = append(topics, p.Topic)
		}
	}
	slices.Sort(topics)
	return topics, nil
}

// Brokers lists the cluster's brokers, sorted by id.
func (c *Client) Brokers(ctx context.Context) ([]BrokerInfo, error) {
	var bs []kafka.Broker
	err := c.withMetaConn(ctx, "list brokers", func(conn *kafka.Conn) error {
		var err error
		bs, err = conn.Brokers()
		return err
	})
	if err != nil {
		return nil, classify("list brokers", "", -1, err)
	}
	out := make([]BrokerInfo, 0, len(bs))
	for _, b := range bs {
		out = append(out, brokerInfo(b))
	}
	slices.SortFunc(out, func(a, b BrokerInfo) int { return a.ID - b.ID })
	return out, nil
}

// topicPartitions returns the topic's partitions from a fresh metadata request, sorted by id.
func (c *Client) topicPartitions(ctx context.Context, topic string) ([]kafka.Partition, error) {
	var parts []kafka.Partition
	err := c.withMetaConn(ctx, "metadata", func(conn *kafka.Conn) error {
		var err error
		parts, err = conn.ReadPartitions(topic)
		return err
	})
	if err != nil {
		return nil, classify("metadata", topic, -1, err)
	}
	out := parts[:0]
	for _, p := range parts {
		if p.Topic == topic {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, classify("metadata", topic, -1, kafka.UnknownTopicOrPartition)
	}
	slices.SortFunc(out, func(a, b kafka.Partition) int { return a.ID - b.ID })
	return out, nil
}

// Partitions describes every partition of topic with its offsets. Unknown topic: NotFound.
func (c *Client) Partitions(ctx context.Context, topic string) ([]PartitionInfo, error) {
	parts, err := c.topicPartitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	offs, err := c.Offsets(ctx, topic, ids)
	if err != nil {
		return nil, err
	}
	out := make([]PartitionInfo, len(parts))
	for i, p := range parts {
		out[i] = PartitionInfo{
			ID: p.ID, Leader: brokerInfo(p.Leader),
			Replicas: brokerInfos(p.Replicas), ISR: brokerInfos(p.Isr),
			Earliest: offs[p.ID].Earliest, Latest: offs[p.ID].Latest,
		}
	}
	return out, nil
}

// Partition describes one partition. Unknown topic or partition: NotFound.
func (c *Client) Partition(ctx context.Context, topic string, partition int) (PartitionInfo, error) {
	parts, err := c.Partitions(ctx, topic)
	if err != nil {
		return PartitionInfo{}, err
	}
	for _, p := range parts {
		if p.ID == partition {
			return p, nil
		}
	}
	return PartitionInfo{}, unknownPartition("metadata", topic, partition, len(parts))
}

// PartitionCount returns how many partitions topic has: from the Client's own short-lived
// cache (partcache.go), else from the transport's cached metadata, falling back to a fresh
// request (and refreshing the cache) when the transport does not know the topic.
func (c *Client) PartitionCount(ctx context.Context, topic string) (int, error) {
	c.prepare()
	gen, now := c.gen.Load(), time.Now()
	if n, ok := c.parts.get(topic, gen, now); ok {
		return n, nil
	}
	n, err := c.partitionCount(ctx, topic)
	if err == nil {
		c.parts.put(topic, n, gen, now)
	}
	return n, err
}

func (c *Client) partitionCount(ctx context.Context, topic string) (int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	md, err := c.kc.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err == nil {
		for _, t := range md.Topics {
			if t.Name == topic && t.Error == nil && len(t.Partitions) > 0 {
				return len(t.Partitions), nil
			}
		}
	}
	parts, ferr := c.topicPartitions(ctx, topic)
	if ferr != nil {
		return 0, ferr
	}
	// The topic exists but the cache did not know it yet (created elsewhere a moment ago).
	c.refresh(c.gen.Load())
	return len(parts), nil
}

func unknownPartition(op, topic string, partition, count int) error {
	return newError(op, topic, partition, apierr.NotFound, "unknown_partition",
		fmt.Sprintf("topic %q has no partition %d (it has %d)", topic, partition, count), nil)
}

// Offsets returns the earliest and latest offsets of the given partitions.
func (c *Client) Offsets(ctx context.Context, topic string, partitions []int) (map[int]OffsetRange, error) {
	reqs := make([]kafka.OffsetRequest, 0, 2*len(partitions))
	for _, p := range partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	var out map[int]OffsetRange
	err := c.retryOnce(ctx, "list offsets", topic, -1, idempotentCall, func(ctx context.Context) error {
		res, err := c.kc.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
		if err != nil {
			return err
		}
		out = make(map[int]OffsetRange, len(partitions))
		for _, po := range res.Topics[topic] {
			if po.Error != nil {
				return listOffsetsError(po.Error)
			}
			out[po.Partition] = OffsetRange{Earliest: po.FirstOffset, Latest: po.LastOffset}
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
