package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Log writes each record of a batch as one JSON line (to stdout in the binaries): the
// record's own JSON object with "batch" (the batch ID) and "group" first. R must encode as a
// JSON object without those two names. Lines of one batch are written in one Write.
type Log[R any] struct {
	mu sync.Mutex
	w  io.Writer
}

var _ Sink[struct{}] = (*Log[struct{}])(nil)

// NewLog returns a log sink writing to w.
func NewLog[R any](w io.Writer) *Log[R] { return &Log[R]{w: w} }

// logPrefix is the start of one line: {"batch":…,"group":…
type logPrefix struct {
	Batch string `json:"batch"`
	Group string `json:"group"`
}

// Deliver writes b's records.
func (s *Log[R]) Deliver(_ context.Context, b *Batch[R]) error {
	prefix, err := json.Marshal(logPrefix{Batch: b.ID, Group: b.Group})
	if err != nil {
		return fmt.Errorf("push: log sink: %w", err)
	}
	prefix = prefix[:len(prefix)-1] // drop the closing brace
	var buf bytes.Buffer
	for i := range b.Records {
		rec, err := json.Marshal(&b.Records[i])
		if err != nil {
			return fmt.Errorf("push: log sink: %w", err)
		}
		if len(rec) < 2 || rec[0] != '{' {
			return fmt.Errorf("push: log sink: a record must encode as a JSON object, got %.20q", rec)
		}
		buf.Write(prefix)
		if len(rec) > 2 { // not {}
			buf.WriteByte(',')
		}
		buf.Write(rec[1:])
		buf.WriteByte('\n')
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("push: log sink: %w", err)
	}
	return nil
}
