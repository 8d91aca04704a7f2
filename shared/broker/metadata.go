package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// BrokerInfo describes one broker, in HDInsight's BrokerEndpoint shape.
type BrokerInfo struct {
	ID   int
	Host string
	Port int
	Rack string
}

// PartitionInfo describes one partition with its offset range.
type PartitionInfo struct {
	ID       int
	Leader   BrokerInfo
	Replicas []BrokerInfo
	ISR      []BrokerInfo
	Earliest int64 // log start offset
	Latest   int64 // high watermark: the offset the next record will get
}

// OffsetRange is a partition's log start and end.
type OffsetRange struct {
	Earliest int64
	Latest   int64
}

// withMetaConn runs fn on the Client's long-lived metadata connection, (re)dialling it when
// missing, idle for too long, or broken (one retry: metadata calls are idempotent). These
// calls are fresh: they are not answered from the transport's metadata cache.
func (c *Client) withMetaConn(ctx context.Context, op string, fn func(*kafka.Conn) error) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if c.metaConn != nil && (time.Since(c.metaUsed) > c.cfg.IdleTimeout || c.metaSessionEnding()) {
			_ = c.metaConn.Close()
			c.metaConn = nil
		}
		if c.metaConn == nil {
			if c.metaConn, err = c.dialAny(ctx); err != nil {
				return classify(op, "", -1, err)
			}
		}
		deadline, _ := ctx.Deadline()
		_ = c.metaConn.SetDeadline(deadline)
		err = fn(c.metaConn)
		c.metaUsed = time.Now()
		if err == nil {
			return nil
		}
		if !isConnError(err) || ctx.Err() != nil {
			break
		}
		_ = c.metaConn.Close()
		c.metaConn = nil
	}
	if isConnError(err) && c.metaConn != nil {
		_ = c.metaConn.Close()
		c.metaConn = nil
	}
	return err
}

// dialAny dials the bootstrap brokers in order until one answers.
func (c *Client) dialAny(ctx context.Context) (*kafka.Conn, error) {
	var errs []error
	for _, addr := range c.cfg.Brokers {
		conn, err := c.dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

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

// PartitionCount returns how many partitions topic has, from the transport's cached
// metadata, falling back to a fresh request (and refreshing the cache) when the cache does
// not know the topic.
func (c *Client) PartitionCount(ctx context.Context, topic string) (int, error) {
	c.prepare()
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

// retryOnce runs fn under the request timeout and retries it once when retryOf says a
// repeat is safe for a call of this kind: after refreshing the transport (stale metadata,
// a broker missing from the cached layout, a broken pooled connection) or after a short
// pause (a coordinator loading its state). Except for topic admin, errors about the topic's
// layout are first checked with a broker directly: a topic or partition that really does
// not exist is answered without disturbing the warm pools.
func (c *Client) retryOnce(ctx context.Context, op, topic string, partition int, call callKind, fn func(context.Context) error) error {
	c.prepare()
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	gen := c.gen.Load()
	err := fn(ctx)
	if err == nil || ctx.Err() != nil {
		return classify(op, topic, partition, err)
	}
	mode := retryOf(err, call)
	if mode == noRetry {
		return classify(op, topic, partition, err)
	}
	if call != adminCall && topic != "" && isStaleMetadata(err) {
		parts, ferr := c.topicPartitions(ctx, topic)
		if ferr != nil {
			return ferr
		}
		if partition >= len(parts) {
			return unknownPartition(op, topic, partition, len(parts))
		}
	}
	if mode == retryPause {
		// No refresh: kafka-go asks for the coordinator on every group call, and the layout
		// is not what is wrong.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*retryPauseTime {
			return classify(op, topic, partition, err) // no time left for a useful retry
		}
		t := time.NewTimer(retryPauseTime)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return classify(op, topic, partition, err)
		}
	}
	if mode == retryRefresh {
		c.refresh(gen)
	}
	first := err
	err = fn(ctx)
	var out error
	if err != nil && call != adminCall && topic != "" && ctx.Err() == nil && isStaleMetadata(err) {
		// After a refresh the transport reports a topic it could not rediscover (the broker
		// is unreachable) as unknown: ask a broker directly before answering "not found".
		if _, ferr := c.topicPartitions(ctx, topic); ferr != nil && apierr.KindOf(ferr) != apierr.NotFound {
			out = ferr
		}
	}
	if out == nil {
		out = classify(op, topic, partition, err)
	}
	if out != nil && writeOps[op] && mayHaveBeenApplied(first) {
		// Whatever the retry says, the first attempt may have been applied.
		out = withUnknownOutcome(out)
	}
	return out
}

func brokerInfo(b kafka.Broker) BrokerInfo {
	return BrokerInfo{ID: b.ID, Host: b.Host, Port: b.Port, Rack: b.Rack}
}

func brokerInfos(bs []kafka.Broker) []BrokerInfo {
	out := make([]BrokerInfo, 0, len(bs))
	for _, b := range bs {
		out = append(out, brokerInfo(b))
	}
	return out
}
