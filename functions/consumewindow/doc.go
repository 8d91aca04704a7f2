// Package consumewindow serves the consume-window function: stateless reads of a window of
// records. The HDInsight Kafka REST proxy's consume operation reads by partition and offset
// and pages with the NextOffset response header.
//
// Beyond HDInsight (window.go, the group_*.go files, pull.go):
//   - Time windows read [from, to) across partitions from offsets-for-times, merged by
//     timestamp with each partition kept in offset order, paged with an opaque, stable cursor
//     (base64url JSON of the window and the next offset per partition).
//   - Consumer-group windows read from a group's committed offsets without joining the group
//     and return a commit token (the offsets read from and the offsets after the delivered
//     records, optionally HMAC-signed). A commit stores the token's offsets only if the
//     group's committed offsets are still the ones the window was read from (409 otherwise),
//     so a stale commit token never moves a commit backwards.
//     group.go holds the three group handlers, group_types.go their request and answer
//     bodies, group_read.go the window and lag reads, group_commit.go the checked commit and
//     commit_lock.go the per-group lock it holds.
//   - Scheduled pulls (App.Timer) deliver group windows to a Standard Webhooks-signed HTTP
//     sink or to stdout (the sinks are in shared/push) and commit each batch only after the
//     sink accepted it, stopping before the invocation deadline.
//
// Design note: Kafka has no compare-and-set for committed offsets. The check and the commit
// are serialised per group within one process; two instances committing one group at the
// same instant can both pass the check. Both windows then started at the same committed
// offset, so either commit covers only delivered records: the worst case is redelivery,
// never a skipped record (see docs/consume-windows.md).
package consumewindow
