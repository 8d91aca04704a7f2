package broker

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// callKind is what repeating a call can do.
type callKind uint8

const (
	idempotentCall callKind = iota // fetch, metadata, list offsets, offset fetch; an offset commit (the same offsets again)
	produceCall                    // appends: a repeat after an unknown outcome duplicates
	adminCall                      // creates or deletes: a repeat after an unknown outcome answers a false 409/404
)

// retryMode is what kafkafn itself does about a failed call before answering.
type retryMode uint8

const (
	noRetry      retryMode = iota
	retryRefresh           // refresh metadata and connections, then try once more
	retryPause             // wait retryPauseTime (the broker is loading state), then once more
)

// retryPauseTime is the pause before the one retry of a coordinator that is loading or not
// yet elected, or a partition short of in-sync replicas.
const retryPauseTime = 200 * time.Millisecond

// retryOf decides whether kafkafn retries a failed call once itself. Only errors that
// prove nothing was done are retried for every call; a broken connection is retried for
// reads and, as before, for produce (docs/reliability.md: the source of duplicates), never
// for topic creation or deletion; timeouts never.
func retryOf(err error, call callKind) retryMode {
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafka.NotLeaderForPartition, kafka.LeaderNotAvailable, kafka.BrokerNotAvailable, kafka.ReplicaNotAvailable,
			kafka.NotCoordinatorForGroup, kafka.NotController, kafka.FencedLeaderEpoch, kafka.UnknownLeaderEpoch,
			kafka.ListenerNotFound, kafka.InconsistentTopicID:
			return retryRefresh
		case kafka.UnknownTopicOrPartition, kafka.UnknownTopicID:
			if call == adminCall {
				return noRetry // a delete of a topic that is not there
			}
			return retryRefresh
		case kafka.GroupLoadInProgress, kafka.GroupCoordinatorNotAvailable, kafka.NotEnoughReplicas:
			return retryPause
		case kafka.OffsetNotAvailable, kafka.UnstableOffsetCommit:
			if call == idempotentCall {
				return retryPause
			}
		case kafka.NetworkException, kafka.KafkaStorageError, kafka.FetchSessionIDNotFound,
			kafka.InvalidFetchSessionEpoch, kafka.FetchSessionTopicIDError, kafka.InvalidMessage:
			if call == idempotentCall {
				return retryRefresh
			}
		}
		return noRetry
	}
	switch {
	case errors.Is(err, protocol.ErrNoTopic), errors.Is(err, protocol.ErrNoPartition), errors.Is(err, protocol.ErrNoLeader):
		return retryRefresh
	case isTLSError(err):
		return noRetry
	case isDialError(err):
		return retryRefresh
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return noRetry
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return noRetry
	}
	if isConnError(err) && call != adminCall {
		return retryRefresh
	}
	return noRetry
}

// retryOnce runs fn under the request timeout and retries it once when retryOf says a
// repeat is safe for a call of this kind: after refreshing the transport (stale metadata,
// a broker missing from the cached layout, a broken pooled connection) or after a short
// pause (a coordinator loading its state). Except for topic admin, errors about the topic's
// layout are first checked with a broker directly: a topic or partition that really does
// not exist is answered without disturbing the warm pools.
//
// Design note: the whole of it (both attempts, the pause, the metadata check) is bounded by
// RequestTimeout from its start. A produce's fn is one call through c.kc, which kafka-go
// bounds by the same RequestTimeout (New sets Client.Timeout) itself, so its first attempt
// runs under the caller's ctx and the bound is made only when a retry follows: one timer
// and seven allocations fewer on every produce (BenchmarkProduceVsRaw in functions/produce).
func (c *Client) retryOnce(ctx context.Context, op, topic string, partition int, call callKind, fn func(context.Context) error) error {
	c.prepare()
	start := time.Now()
	lazy := call == produceCall // fn is one c.kc call, bounded by kafka-go
	cancel := func() {}
	if !lazy {
		ctx, cancel = c.callContextAt(ctx, start)
	}
	defer func() { cancel() }()
	gen := c.gen.Load()
	err := fn(ctx)
	if lazy && err != nil {
		ctx, cancel = c.callContextAt(ctx, start) // the bound of what follows
	}
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
