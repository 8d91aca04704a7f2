// Package broker is kafkafn's Kafka transport: the only package that imports
// github.com/segmentio/kafka-go, and it never imports net/http.
//
// A Client holds one kafka.Transport for the life of the process (connections and metadata
// stay warm across invocations and are shared by concurrent invocations), plus one
// long-lived connection for the metadata calls that must be fresh (metadata_conn.go; kafka-go
// serves metadata from a cache refreshed every MetadataTTL). Handlers see only this package's
// DTOs (Record, Message, PartitionInfo and BrokerInfo, the last two in metadata_types.go) and
// errors of type *Error, which carry an apierr.Kind.
//
// Design notes:
//   - Produce uses kafka-go's Client.Produce per partition with acks=all: no batching timer (the Writer's
//     1 s BatchTimeout trap) and offsets come back as BaseOffset+i. A request's records are
//     sent only after the whole request was validated by the caller.
//   - Every Kafka error code has one answer (classifyKafka, audited code by code against
//     franz-go's kerr and kafka-go's Temporary in errors_test.go). Errors that prove nothing
//     was done (NOT_LEADER, unknown topic in a stale cache, a broker missing from kafka-go's
//     layout, coordinator or controller moved) are retried once after a metadata refresh, a
//     loading coordinator once after a pause (retryOf, retry.go), and so is a broken connection
//     (usually a pooled connection that died while idle) except for topic admin; if it broke
//     after Kafka appended the batch, the retry duplicates it (at-least-once). A timeout is
//     reported as Timeout; only failed writes say the outcome is unknown.
//   - After a long idle (a frozen function container) pooled connections are likely dead:
//     the Client drops them before the next call instead of failing a request on them.
//   - With SASL the Client authenticates in its dial function and replaces its transport
//     before any connection's session ends (AWS_MSK_IAM, OAUTHBEARER tokens, KIP-368), since
//     kafka-go never re-authenticates: see sasl_session.go. Token and AWS credential fetching
//     (HTTP) lives in the saslcred subpackage.
package broker
