package broker

import (
	"context"
	"fmt"
	"strings"

	"github.com/segmentio/kafka-go"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// TopicSpec describes a topic to create. Zero counts mean the broker's defaults.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	Configs           map[string]string
}

// ValidateTopicName reports whether kafkafn serves name: a legal Kafka topic name (1 to 249
// characters of [a-zA-Z0-9._-], not "." or "..", else Invalid "invalid_topic") that is not
// an internal topic (IsInternalTopic, else Forbidden "internal_topic"). Every route calls it
// before anything is sent, and the Client's writes (Produce, CreateTopic, DeleteTopic) call
// it again, so no route can write to an internal topic.
func ValidateTopicName(name string) error {
	invalid := func(why string) error {
		return apierr.E(apierr.Invalid, "invalid_topic", fmt.Sprintf("invalid topic name %q: %s", apierr.Clip(name, 64), why))
	}
	switch {
	case name == "":
		return invalid("it is empty")
	case len(name) > 249:
		return invalid("it is longer than 249 characters")
	case name == "." || name == "..":
		return invalid(`"." and ".." are not allowed`)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return invalid("only ASCII letters, digits, '.', '_' and '-' are allowed")
		}
	}
	if IsInternalTopic(name) {
		return apierr.E(apierr.Forbidden, "internal_topic", fmt.Sprintf(
			"topic %q is internal to Kafka or its tools (the \"__\" prefix, e.g. __consumer_offsets, __transaction_state); kafkafn neither lists, reads, writes, creates nor deletes such topics", name))
	}
	return nil
}

// CreateTopic creates a topic. An existing topic is a Conflict error. It is retried once
// only on errors that prove nothing was done (the controller moved, or kafka-go's layout
// lacked the controller: a broker restart); never after a broken connection, where the topic
// may have been created and a repeat would answer a false 409.
func (c *Client) CreateTopic(ctx context.Context, spec TopicSpec) error {
	if err := ValidateTopicName(spec.Name); err != nil {
		return err
	}
	tc := kafka.TopicConfig{Topic: spec.Name, NumPartitions: spec.Partitions, ReplicationFactor: spec.ReplicationFactor}
	if tc.NumPartitions == 0 {
		tc.NumPartitions = -1
	}
	if tc.ReplicationFactor == 0 {
		tc.ReplicationFactor = -1
	}
	for k, v := range spec.Configs {
		tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: v})
	}
	return c.retryOnce(ctx, "create topic", spec.Name, -1, adminCall, func(ctx context.Context) error {
		res, err := c.kc.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{tc}, ValidateOnly: false})
		if err != nil {
			return err
		}
		return res.Errors[spec.Name]
	})
}

// DeleteTopic deletes a topic. An unknown topic is a NotFound error. Retries as CreateTopic.
func (c *Client) DeleteTopic(ctx context.Context, name string) error {
	if err := ValidateTopicName(name); err != nil {
		return err
	}
	err := c.retryOnce(ctx, "delete topic", name, -1, adminCall, func(ctx context.Context) error {
		res, err := c.kc.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{name}})
		if err != nil {
			return err
		}
		return res.Errors[name]
	})
	if err != nil {
		return err
	}
	// The transport's cache still lists a deleted topic for up to MetadataTTL; drop it so
	// produce answers 404 at once.
	c.refresh(c.gen.Load())
	return nil
}

// IsInternalTopic reports the topics reserved for Kafka and its tools: every name that
// starts with "__" (Kafka's own __consumer_offsets, __transaction_state, __share_group_state,
// KRaft's __cluster_metadata, and the "__" topics of Confluent and other tools). kafkafn hides
// them from listings and refuses every route on them (ValidateTopicName): a write would
// corrupt the cluster's group or transaction state, and a read would show every group's
// offsets past the consumer-group permissions.
func IsInternalTopic(name string) bool { return strings.HasPrefix(name, "__") }
