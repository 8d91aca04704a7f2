package push

import "context"

// Batch is what a scheduled pull delivers to its sink: one window of records of a topic read
// for a consumer group.
type Batch[R any] struct {
	// ID identifies the batch's content (group, topic and the offsets it holds); a batch
	// delivered again after a failure carries the same records and the same ID, so
	// receivers can drop duplicates by ID (or by topic, partition and offset).
	ID      string `json:"id"`
	Topic   string `json:"topic"`
	Group   string `json:"group"`
	Records []R    `json:"records"`
}

// Sink receives batches. Deliver returns nil only when the batch was accepted; only then may
// the caller commit it.
type Sink[R any] interface {
	Deliver(ctx context.Context, b *Batch[R]) error
}
