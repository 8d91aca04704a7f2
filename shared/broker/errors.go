package broker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
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

// writeOps are the calls that change Kafka. Only for them can a failure after the request
// was sent leave the outcome unknown; a read that failed changed nothing.
var writeOps = map[string]bool{"produce": true, "commit offsets": true, "create topic": true, "delete topic": true}

// unknownOutcome is the note added to a failure of op that may have reached Kafka.
func unknownOutcome(op string) string {
	if writeOps[op] {
		return "; the outcome is unknown (the write may have been applied)"
	}
	return ""
}

// classify turns any error from kafka-go into an *Error. It is the one place that decides
// what a Kafka failure means to a caller. Network errors follow the reasoning of franz-go's
// pkg/kgo/errors.go: a failure before the request left (refused or timed-out dial, DNS,
// TLS, SASL) is Unavailable (Timeout when the dial timed out) and proves nothing was sent; a broken connection afterwards
// (EOF, ECONNRESET, EPIPE) is Unavailable too, but for a write the outcome is unknown; a
// deadline is Timeout (504), also with an unknown outcome for writes.
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
	case isTLSError(err):
		return newError(op, topic, partition, apierr.Unavailable, "kafka_tls_failed",
			"the TLS handshake with Kafka failed (check KAFKA_TLS, KAFKA_TLS_CA_FILE, KAFKA_TLS_SKIP_HOSTNAME_CHECK)", err)
	case isDialError(err) && isTimeout(err):
		// Before the deadline check: a dial cut short by the deadline sent nothing.
		return newError(op, topic, partition, apierr.Timeout, "kafka_timeout",
			"Kafka could not be reached ("+op+") before the deadline; nothing was sent", err)
	case isDialError(err):
		return newError(op, topic, partition, apierr.Unavailable, "kafka_unavailable",
			"Kafka could not be reached ("+op+"); nothing was sent", err)
	case errors.Is(err, context.DeadlineExceeded):
		return newError(op, topic, partition, apierr.Timeout, "kafka_timeout",
			"Kafka did not answer "+where+" before the deadline"+unknownOutcome(op), err)
	case errors.Is(err, context.Canceled):
		return newError(op, topic, partition, apierr.Timeout, "canceled", "the request was canceled", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return newError(op, topic, partition, apierr.Timeout, "kafka_timeout",
			"Kafka did not answer "+where+" in time"+unknownOutcome(op), err)
	}
	if isConnError(err) {
		return newError(op, topic, partition, apierr.Unavailable, "kafka_unavailable",
			"the connection to Kafka broke ("+op+")"+unknownOutcome(op), err)
	}
	return newError(op, topic, partition, apierr.Internal, "kafka_error", "Kafka request failed ("+op+")", err)
}

// classifyKafka maps a Kafka error code. Every code kafka-go defines is listed (the table
// test in errors_test.go fails on a code missing here). The bar is franz-go's pkg/kerr
// Retriable flag and kafka-go's Error.Temporary; kafkafn differs where the caller's view
// differs from a Kafka client's:
//   - BROKER_NOT_AVAILABLE and REPLICA_NOT_AVAILABLE are retryable (kerr) although
//     kafka-go's Temporary says no: kafka-go's own transport returns BROKER_NOT_AVAILABLE,
//     before sending anything, while its cached layout lacks the broker (a broker restart).
//   - UNKNOWN_TOPIC_OR_PARTITION is retried once after asking a broker directly; what is
//     left is a real 404, not a retryable error.
//   - UNKNOWN_SERVER_ERROR is a retryable 503 (kerr: not retriable): it is the broker's own
//     unexpected failure, never the caller's, and a real broker answers it while it starts.
//   - CORRUPT_MESSAGE stays retryable (both libraries): a checksum failure in transit.
//   - Codes of APIs kafkafn never sends (transactions, idempotent producer ids, delegation
//     tokens, KRaft quorum, elections, reassignments, SCRAM, features) are a 500: seeing one
//     is a bug, which a retry does not fix, whatever kerr says (ELECTION_NOT_NEEDED,
//     PREFERRED/ELIGIBLE_LEADERS_NOT_AVAILABLE, NO_REASSIGNMENT_IN_PROGRESS).
//   - Caller mistakes are 4xx; mistakes kafkafn itself would have made (INVALID_REQUIRED_ACKS,
//     INVALID_FETCH_SIZE, UNSUPPORTED_VERSION, …) are a 500.
func classifyKafka(op, topic string, partition int, ke kafka.Error, err error) error {
	msg := ke.Title()
	e := func(kind apierr.Kind, code, text string) error {
		return newError(op, topic, partition, kind, code, text, err)
	}
	switch ke {
	case kafka.UnknownTopicOrPartition, kafka.UnknownTopicID:
		if partition >= 0 {
			return e(apierr.NotFound, "unknown_topic_or_partition",
				fmt.Sprintf("topic %q or its partition %d does not exist", topic, partition))
		}
		return e(apierr.NotFound, "unknown_topic", fmt.Sprintf("topic %q does not exist", topic))
	case kafka.GroupIdNotFound:
		return e(apierr.NotFound, "unknown_group", "the consumer group does not exist")
	case kafka.ResourceNotFound:
		return e(apierr.NotFound, "kafka_resource_not_found", "Kafka refused the request: "+msg)

	case kafka.TopicAlreadyExists:
		return e(apierr.Conflict, "topic_exists", fmt.Sprintf("topic %q already exists", topic))
	case kafka.IllegalGeneration, kafka.UnknownMemberId, kafka.RebalanceInProgress, kafka.FencedInstanceID,
		kafka.NonEmptyGroup, kafka.GroupSubscribedToTopic:
		return e(apierr.Conflict, "group_has_members",
			"the consumer group has live members; kafkafn commits only for groups without members ("+msg+")")
	case kafka.ReassignmentInProgress:
		return e(apierr.Conflict, "kafka_reassignment_in_progress",
			"the topic's partitions are being reassigned; try again when the reassignment is done")

	case kafka.OffsetOutOfRange:
		return e(apierr.Invalid, "offset_out_of_range", "the offset is outside the partition's log")
	case kafka.InvalidGroupId:
		return e(apierr.Invalid, "invalid_group", "Kafka refused the consumer group name")
	case kafka.InvalidTopic, kafka.InvalidPartitionNumber, kafka.InvalidReplicationFactor,
		kafka.InvalidReplicaAssignment, kafka.InvalidConfiguration, kafka.InvalidRequest,
		kafka.PolicyViolation, kafka.InvalidTimestamp, kafka.InvalidRecord, kafka.UnsupportedForMessageFormat,
		kafka.DuplicateResource:
		return e(apierr.Invalid, "kafka_invalid_request", "Kafka refused the request: "+msg)
	case kafka.MessageSizeTooLarge, kafka.RecordListTooLarge:
		return e(apierr.TooLarge, "record_too_large", "Kafka refused the records as too large ("+msg+")")

	case kafka.TopicAuthorizationFailed, kafka.GroupAuthorizationFailed, kafka.ClusterAuthorizationFailed,
		kafka.TransactionalIDAuthorizationFailed, kafka.BrokerAuthorizationFailed,
		kafka.DelegationTokenAuthorizationFailed:
		return e(apierr.Forbidden, "kafka_authorization_failed",
			"kafkafn's Kafka credentials are not allowed to do this: "+msg)
	case kafka.TopicDeletionDisabled:
		return e(apierr.Forbidden, "topic_deletion_disabled",
			"the Kafka cluster does not allow deleting topics (delete.topic.enable=false)")

	case kafka.ThrottlingQuotaExceeded:
		return e(apierr.TooManyRequests, "kafka_throttled", "Kafka's quota for this operation is used up; retry later")

	case kafka.SASLAuthenticationFailed, kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState:
		// Retryable: nothing was sent, and short-lived credentials (OAUTHBEARER, MSK IAM)
		// may simply have been renewed late.
		return e(apierr.Unavailable, "kafka_auth_failed", "kafkafn could not authenticate to Kafka (check KAFKA_SASL_*)")

	case kafka.RequestTimedOut:
		return e(apierr.Timeout, "kafka_timeout", "Kafka timed out ("+op+")"+unknownOutcome(op))

	case kafka.NotEnoughReplicasAfterAppend:
		return e(apierr.Unavailable, "kafka_unavailable",
			"Kafka wrote the records to fewer in-sync replicas than the topic requires"+unknownOutcome(op))
	case kafka.NetworkException, kafka.KafkaStorageError, kafka.Unknown:
		return e(apierr.Unavailable, "kafka_unavailable", "Kafka failed ("+msg+")"+unknownOutcome(op))
	case kafka.LeaderNotAvailable, kafka.NotLeaderForPartition, kafka.BrokerNotAvailable, kafka.ReplicaNotAvailable,
		kafka.GroupLoadInProgress, kafka.GroupCoordinatorNotAvailable, kafka.NotCoordinatorForGroup,
		kafka.NotEnoughReplicas, kafka.NotController, kafka.FetchSessionIDNotFound, kafka.InvalidFetchSessionEpoch,
		kafka.ListenerNotFound, kafka.FencedLeaderEpoch, kafka.UnknownLeaderEpoch, kafka.OffsetNotAvailable,
		kafka.UnstableOffsetCommit, kafka.InconsistentTopicID, kafka.FetchSessionTopicIDError, kafka.InvalidMessage:
		// Nothing was done (InvalidMessage: the broker refused a batch whose checksum failed
		// in transit); a moment later, or on the new leader or coordinator, it works.
		return e(apierr.Unavailable, "kafka_unavailable", "Kafka is temporarily unavailable: "+msg)

	case kafka.InvalidMessageSize, kafka.StaleControllerEpoch, kafka.OffsetMetadataTooLarge, kafka.InvalidRequiredAcks,
		kafka.InconsistentGroupProtocol, kafka.InvalidSessionTimeout, kafka.InvalidCommitOffsetSize,
		kafka.UnsupportedVersion, kafka.OutOfOrderSequenceNumber, kafka.DuplicateSequenceNumber,
		kafka.InvalidProducerEpoch, kafka.InvalidTransactionState, kafka.InvalidProducerIDMapping,
		kafka.InvalidTransactionTimeout, kafka.ConcurrentTransactions, kafka.TransactionCoordinatorFenced,
		kafka.SecurityDisabled, kafka.LogDirNotFound, kafka.UnknownProducerId, kafka.DelegationTokenAuthDisabled,
		kafka.DelegationTokenNotFound, kafka.DelegationTokenOwnerMismatch, kafka.DelegationTokenRequestNotAllowed,
		kafka.DelegationTokenExpired, kafka.InvalidPrincipalType, kafka.UnsupportedCompressionType,
		kafka.StaleBrokerEpoch, kafka.MemberIDRequired, kafka.PreferredLeaderNotAvailable, kafka.GroupMaxSizeReached,
		kafka.EligibleLeadersNotAvailable, kafka.ElectionNotNeeded, kafka.NoReassignmentInProgress,
		kafka.ProducerFenced, kafka.UnacceptableCredential, kafka.InconsistentVoterSet, kafka.InvalidUpdateVersion,
		kafka.FeatureUpdateFailed, kafka.PrincipalDeserializationFailure, kafka.SnapshotNotFound,
		kafka.PositionOutOfRange, kafka.DuplicateBrokerRegistration, kafka.BrokerIDNotRegistered,
		kafka.InconsistentClusterID, kafka.TransactionalIDNotFound:
		return e(apierr.Internal, "kafka_error", "Kafka error: "+msg)
	}
	// A code newer than this table: trust kafka-go's Temporary.
	if ke.Temporary() {
		return e(apierr.Unavailable, "kafka_unavailable", "Kafka is temporarily unavailable: "+msg)
	}
	return e(apierr.Internal, "kafka_error", "Kafka error: "+msg)
}

// mayHaveBeenApplied reports a failure after the request may have reached Kafka: a broken
// connection (not a failed dial or handshake), a timeout, or a code that says so.
func mayHaveBeenApplied(err error) bool {
	if isTLSError(err) || isDialError(err) {
		return false
	}
	var ne net.Error
	return isConnError(err) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) ||
		errors.Is(err, kafka.RequestTimedOut) || errors.Is(err, kafka.NetworkException) ||
		errors.Is(err, kafka.KafkaStorageError) || errors.Is(err, kafka.NotEnoughReplicasAfterAppend) ||
		errors.Is(err, kafka.Unknown)
}

// withUnknownOutcome adds the unknown-outcome note to a classified failure of a write
// whose earlier attempt may have been applied.
func withUnknownOutcome(err error) error {
	var be *Error
	if !errors.As(err, &be) || strings.Contains(be.Message, "outcome is unknown") {
		return err
	}
	out := *be
	out.Message += "; an earlier attempt may have been applied, so the outcome is unknown"
	return &out
}

// isTimeout reports a deadline or an I/O timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// isDialError reports failures to open a connection: nothing was sent.
func isDialError(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	var de *net.DNSError
	return errors.As(err, &de) || errors.Is(err, syscall.ECONNREFUSED)
}

// isTLSError reports a failed TLS handshake: an untrusted or mismatched certificate, a
// broker that does not speak TLS, or an alert from the broker. Nothing was sent.
func isTLSError(err error) bool {
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	var ae tls.AlertError
	return errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) || errors.As(err, &ve) ||
		errors.As(err, &rh) || errors.As(err, &ae)
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

// isStaleMetadata reports errors that a broker's answer about the topic settles: the
// cached layout does not know the topic or partition, or the leader moved. retryOnce asks
// a broker directly before retrying them, so that a topic that is really gone is a 404.
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
