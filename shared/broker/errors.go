package broker

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Error is a classified Kafka failure.
type Error struct {
	Op        string // "produce", "fetch", "metadata", "create topic", ...
	Topic     string
	Partition int // -1 when not about one partition
	Kind      apierr.Kind
	Code      string // snake_case, e.g. unknown_topic
	Message   string // safe for callers
	Err       error
}

func (e *Error) Error() string {
	s := "broker: " + e.Op
	if e.Topic != "" {
		s += " " + e.Topic
		if e.Partition >= 0 {
			s += fmt.Sprintf("/%d", e.Partition)
		}
	}
	if e.Err != nil {
		return s + ": " + e.Err.Error()
	}
	return s + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind implements apierr.Kinder.
func (e *Error) ErrorKind() apierr.Kind { return e.Kind }

// ErrorCode implements apierr.Coder.
func (e *Error) ErrorCode() string { return e.Code }

// PublicMessage implements apierr.Publicer.
func (e *Error) PublicMessage() string { return e.Message }

// IsRetryable reports whether err is a Kafka failure that may succeed when retried.
func IsRetryable(err error) bool { return apierr.KindOf(err).Retryable() }

func newError(op, topic string, partition int, kind apierr.Kind, code, msg string, err error) *Error {
	return &Error{Op: op, Topic: topic, Partition: partition, Kind: kind, Code: code, Message: msg, Err: err}
}

// classify turns any error from kafka-go into an *Error. It is the one place that decides
// what a Kafka failure means to a caller.
func classify(op, topic string, partition int, err error) error {
	if err == nil {
		return nil
	}
	var be *Error
	if errors.As(err, &be) {
		return err
	}
	where := op
	if topic != "" {
		where += " on topic " + topic
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		return classifyKafka(op, topic, partition, ke, err)
	}
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil {
				return classify(op, topic, partition, e)
			}
		}
	}
	switch {
	case errors.Is(err, protocol.ErrNoTopic):
		return newError(op, topic, partition, apierr.NotFound, "unknown_topic",
			fmt.Sprintf("topic %q does not exist", topic), err)
	case errors.Is(err, protocol.ErrNoPartition):
		return newError(op, topic, partition, apierr.NotFound, "unknown_partition",
			fmt.Sprintf("topic %q has no partition %d", topic, partition), err)
	case errors.Is(err, protocol.ErrNoLeader):
		return newError(op, topic, partition, apierr.Unavailable, "kafka_unavailable",
			"the partition has no leader at the moment", err)
	case errors.Is(err, context.DeadlineExceeded):
		return newError(op, topic, partition, apierr.Timeout, "kafka_timeout",
			"Kafka did not answer "+where+" before the deadline; the outcome is unknown", err)
	case errors.Is(err, context.Canceled):
		return newError(op, topic, partition, apierr.Timeout, "canceled", "the request was canceled", err)
	}
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	if errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) {
		return newError(op, topic, partition, apierr.Unavailable, "kafka_tls_failed",
			"the TLS handshake with Kafka failed (check KAFKA_TLS_CA_FILE / KAFKA_TLS_SKIP_HOSTNAME_CHECK)", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return newError(op, topic, partition, apierr.Timeout, "kafka_timeout",
			"Kafka did not answer "+where+" in time; the outcome is unknown", err)
	}
	if isConnError(err) {
		return newError(op, topic, partition, apierr.Unavailable, "kafka_unavailable",
			"Kafka is unavailable ("+op+"); the outcome is unknown", err)
	}
	return newError(op, topic, partition, apierr.Internal, "kafka_error", "Kafka request failed ("+op+")", err)
}

func classifyKafka(op, topic string, partition int, ke kafka.Error, err error) error {
	msg := ke.Title()
	switch ke {
	case kafka.UnknownTopicOrPartition:
		if partition >= 0 {
			return newError(op, topic, partition, apierr.NotFound, "unknown_topic_or_partition",
				fmt.Sprintf("topic %q or its partition %d does not exist", topic, partition), err)
		}
		return newError(op, topic, partition, apierr.NotFound, "unknown_topic",
			fmt.Sprintf("topic %q does not exist", topic), err)
	case kafka.TopicAlreadyExists:
		return newError(op, topic, partition, apierr.Conflict, "topic_exists",
			fmt.Sprintf("topic %q already exists", topic), err)
	case kafka.OffsetOutOfRange:
		return newError(op, topic, partition, apierr.Invalid, "offset_out_of_range",
			"the offset is outside the partition's log", err)
	case kafka.MessageSizeTooLarge, kafka.RecordListTooLarge:
		return newError(op, topic, partition, apierr.TooLarge, "record_too_large",
			"Kafka refused the records as too large ("+msg+")", err)
	case kafka.InvalidTopic, kafka.InvalidPartitionNumber, kafka.InvalidReplicationFactor,
		kafka.InvalidReplicaAssignment, kafka.InvalidConfiguration, kafka.InvalidRequest,
		kafka.PolicyViolation, kafka.InvalidTimestamp, kafka.InvalidRecord, kafka.InvalidMessage,
		kafka.InvalidRequiredAcks, kafka.UnsupportedVersion, kafka.UnsupportedForMessageFormat:
		return newError(op, topic, partition, apierr.Invalid, "kafka_invalid_request",
			"Kafka refused the request: "+msg, err)
	case kafka.TopicAuthorizationFailed, kafka.GroupAuthorizationFailed, kafka.ClusterAuthorizationFailed,
		kafka.TransactionalIDAuthorizationFailed:
		return newError(op, topic, partition, apierr.Forbidden, "kafka_authorization_failed",
			"kafkafn's Kafka credentials are not allowed to do this: "+msg, err)
	case kafka.SASLAuthenticationFailed, kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState:
		return newError(op, topic, partition, apierr.Unavailable, "kafka_auth_failed",
			"kafkafn could not authenticate to Kafka (check KAFKA_SASL_*)", err)
	case kafka.RequestTimedOut:
		return newError(op, topic, partition, apierr.Timeout, "kafka_timeout",
			"Kafka timed out; the outcome is unknown", err)
	case kafka.GroupIdNotFound, kafka.GroupCoordinatorNotAvailable:
		if ke == kafka.GroupIdNotFound {
			return newError(op, topic, partition, apierr.NotFound, "unknown_group", "the consumer group does not exist", err)
		}
	}
	if ke.Temporary() {
		return newError(op, topic, partition, apierr.Unavailable, "kafka_unavailable",
			"Kafka is temporarily unavailable: "+msg, err)
	}
	return newError(op, topic, partition, apierr.Internal, "kafka_error", "Kafka error: "+msg, err)
}

// isConnError reports connection-class failures: the broker is unreachable or the connection
// broke.
func isConnError(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.ErrClosedPipe) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var de *net.DNSError
	return errors.As(err, &de)
}

// isStaleMetadata reports errors that prove nothing was done and that a metadata refresh may
// fix: the cached layout does not know the topic or partition, or the leader moved.
func isStaleMetadata(err error) bool {
	return errors.Is(err, kafka.UnknownTopicOrPartition) || errors.Is(err, kafka.NotLeaderForPartition) ||
		errors.Is(err, kafka.LeaderNotAvailable) || errors.Is(err, kafka.NotCoordinatorForGroup) ||
		errors.Is(err, kafka.FencedLeaderEpoch) || errors.Is(err, kafka.UnknownLeaderEpoch) ||
		errors.Is(err, protocol.ErrNoTopic) || errors.Is(err, protocol.ErrNoPartition) ||
		errors.Is(err, protocol.ErrNoLeader)
}

// errRoundTrip stands for a failed round trip that kafka-go reported as a Kafka error code.
var errRoundTrip = fmt.Errorf("round trip failed: %w", io.ErrUnexpectedEOF)

// listOffsetsError undoes kafka-go's ListOffsets error merging: a round trip that failed on
// a broken connection is reported as error code -1 (UNKNOWN_SERVER_ERROR) for each of its
// partitions. Treat it as the connection error it usually is, so the call is retried once
// on a fresh connection (ListOffsets is idempotent).
func listOffsetsError(err error) error {
	if errors.Is(err, kafka.Unknown) {
		return fmt.Errorf("%w (kafka-go reported %v)", errRoundTrip, err)
	}
	return err
}
