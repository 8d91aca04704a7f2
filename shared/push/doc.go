// Package push delivers batches of records to a receiver for scheduled pulls: a Sink accepts
// a Batch or fails it, and the caller commits a batch only after its Sink accepted it.
//
// Two sinks exist: HTTP POSTs each batch as JSON signed with the Standard Webhooks scheme
// (shared/webhook) and retries transient failures with its own client; Log writes each record
// as one JSON line. Both are generic over the record type so that the package does not
// depend on the route that reads the records (functions/consumewindow).
//
// The retry loop is hand-written rather than taken from a retry library: it is a dozen lines
// whose rules (which answers are retried, full jitter, never sleeping past the deadline) are
// part of the delivery contract documented in docs/scheduled-pulls.md.
package push
