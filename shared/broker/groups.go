package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// NoCommit is the committed offset of a partition the group has never committed.
const NoCommit int64 = -1

// ValidateGroupID reports whether id is a consumer group name kafkafn accepts: 1 to 249
// characters of [a-zA-Z0-9._:-]. Kafka itself accepts any string; the narrower set keeps
// group names safe in paths, logs and commit tokens.
func ValidateGroupID(id string) error {
	invalid := func(why string) error {
		return apierr.E(apierr.Invalid, "invalid_group", fmt.Sprintf("invalid consumer group name %q: %s", apierr.Clip(id, 64), why))
	}
	switch {
	case id == "":
		return invalid("it is empty")
	case len(id) > 249:
		return invalid("it is longer than 249 characters")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == ':') {
			return invalid("only ASCII letters, digits, '.', '_', ':' and '-' are allowed")
		}
	}
	return nil
}

// CommittedOffsets returns group's committed offsets for the given partitions of topic:
// the offset of the next record the group will read, or NoCommit. A group that does not
// exist has no commits (kfake and some brokers answer GROUP_ID_NOT_FOUND for it).
func (c *Client) CommittedOffsets(ctx context.Context, group, topic string, partitions []int) (map[int]int64, error) {
	var out map[int]int64
	err := c.retryOnce(ctx, "fetch committed offsets", "", -1, idempotentCall, func(ctx context.Context) error {
		res, err := c.kc.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: partitions}})
		if err != nil {
			return err
		}
		out = make(map[int]int64, len(partitions))
		for _, p := range partitions {
			out[p] = NoCommit
		}
		if errors.Is(res.Error, kafka.GroupIdNotFound) {
			return nil
		}
		if res.Error != nil {
			return res.Error
		}
		for _, pr := range res.Topics[topic] {
			if pr.Error != nil {
				if errors.Is(pr.Error, kafka.UnknownTopicOrPartition) {
					continue // never committed
				}
				return pr.Error
			}
			if _, asked := out[pr.Partition]; asked && pr.CommittedOffset >= 0 {
				out[pr.Partition] = pr.CommittedOffset
			}
		}
		return nil
	})
	if err != nil {
		return nil, groupError("fetch committed offsets", group, topic, err)
	}
	return out, nil
}

// CommitOffsets stores offsets (partition → the offset of the next record to read) for
// group on topic without joining the group: generation -1 and an empty member id, which
// Kafka accepts for a group with no live members. A group with live members (a regular
// consumer) refuses it: Conflict.
func (c *Client) CommitOffsets(ctx context.Context, group, topic string, offsets map[int]int64) error {
	if len(offsets) == 0 {
		return nil
	}
	commits := make([]kafka.OffsetCommit, 0, len(offsets))
	for p, off := range offsets {
		commits = append(commits, kafka.OffsetCommit{Partition: p, Offset: off})
	}
	err := c.retryOnce(ctx, "commit offsets", "", -1, idempotentCall, func(ctx context.Context) error {
		res, err := c.kc.OffsetCommit(ctx, &kafka.OffsetCommitRequest{
			GroupID: group, GenerationID: -1, MemberID: "",
			Topics: map[string][]kafka.OffsetCommit{topic: commits},
		})
		if err != nil {
			return err
		}
		for _, pr := range res.Topics[topic] {
			if pr.Error != nil {
				return pr.Error
			}
		}
		return nil
	})
	if err != nil {
		return groupError("commit offsets", group, topic, err)
	}
	return nil
}

// groupError classifies group-offset failures, adding the group-specific answers.
func groupError(op, group, topic string, err error) error {
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafka.InvalidGroupId:
			return newError(op, topic, -1, apierr.Invalid, "invalid_group",
				fmt.Sprintf("Kafka refused the consumer group name %q", apierr.Clip(group, 64)), err)
		case kafka.IllegalGeneration, kafka.UnknownMemberId, kafka.RebalanceInProgress, kafka.FencedInstanceID:
			return newError(op, topic, -1, apierr.Conflict, "group_has_members",
				fmt.Sprintf("consumer group %q has live members; kafkafn commits only for groups without members", apierr.Clip(group, 64)), err)
		case kafka.UnknownTopicOrPartition:
			return newError(op, topic, -1, apierr.NotFound, "unknown_topic", fmt.Sprintf("topic %q does not exist", topic), err)
		}
	}
	var be *Error
	if errors.As(err, &be) && be.Topic == "" {
		be.Topic = topic
	}
	return err
}
