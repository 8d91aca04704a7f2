package consumewindow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/webhook"
)

// Batch is what a scheduled pull delivers to its sink: one group window.
type Batch struct {
	// ID identifies the batch's content (group, topic and the offsets it holds); a batch
	// delivered again after a failure carries the same records and the same ID, so
	// receivers can drop duplicates by ID (or by topic, partition and offset).
	ID      string          `json:"id"`
	Topic   string          `json:"topic"`
	Group   string          `json:"group"`
	Records []ConsumeRecord `json:"records"`
}

// sink receives batches. deliver returns nil only when the batch was accepted; only then
// is it committed.
type sink interface {
	deliver(ctx context.Context, b *Batch) error
}

// httpSink POSTs each batch as JSON to a URL, signed with the Standard Webhooks scheme.
// 2xx accepts the batch. 5xx, 408, 429, timeouts and connection failures are retried with
// exponential backoff while the tick's deadline allows; any other answer (4xx, 3xx: no
// redirects are followed) fails the batch at once.
type httpSink struct {
	url     string
	signer  *webhook.Signer
	timeout time.Duration // per attempt
	client  *http.Client
	backoff time.Duration // first retry delay; doubles up to maxBackoff
}

const maxBackoff = 5 * time.Second

func newHTTPSink(url string, signer *webhook.Signer, timeout time.Duration) *httpSink {
	return &httpSink{
		url: url, signer: signer, timeout: timeout, backoff: 200 * time.Millisecond,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// sinkError is a delivery failure; retry tells whether another attempt may succeed.
type sinkError struct {
	msg   string
	retry bool
	err   error
}

func (e *sinkError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}
func (e *sinkError) Unwrap() error { return e.err }

// ErrorKind implements apierr.Kinder: the sink is an upstream that failed.
func (e *sinkError) ErrorKind() apierr.Kind { return apierr.BadGateway }

// PublicMessage implements apierr.Publicer. The URL is never part of it.
func (e *sinkError) PublicMessage() string { return "sink: " + e.Error() }

func (s *httpSink) deliver(ctx context.Context, b *Batch) error {
	body, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("consumewindow: sink: encode batch: %w", err)
	}
	wait := s.backoff
	for attempt := 1; ; attempt++ {
		err := s.post(ctx, b.ID, body)
		if err == nil {
			return nil
		}
		var se *sinkError
		if !errors.As(err, &se) || !se.retry {
			return fmt.Errorf("consumewindow: sink: batch %s: attempt %d: %w", b.ID, attempt, err)
		}
		// Full jitter in [wait/2, wait].
		d := wait/2 + rand.N(wait/2+1)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
			return fmt.Errorf("consumewindow: sink: batch %s: giving up after %d attempts before the deadline: %w", b.ID, attempt, err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("consumewindow: sink: batch %s: giving up after %d attempts: %w", b.ID, attempt, err)
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

func (s *httpSink) post(ctx context.Context, id string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return &sinkError{msg: "build request", err: err}
	}
	now := time.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kafkafn-pull")
	for k, v := range s.signer.Sign(id, now, body) {
		req.Header[k] = v
	}
	res, err := s.client.Do(req)
	if err != nil {
		// Timeouts and connection failures: the batch may or may not have arrived; send it
		// again (receivers dedupe by webhook-id).
		return &sinkError{msg: "post", retry: true, err: redactURL(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 500, res.StatusCode == http.StatusRequestTimeout, res.StatusCode == http.StatusTooManyRequests:
		return &sinkError{msg: "the sink answered " + res.Status, retry: true}
	default:
		return &sinkError{msg: "the sink refused the batch: " + res.Status}
	}
}

// redactURL drops the URL from a client error: it may carry a secret in its query.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timeout: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// logSink writes each record of a batch as one JSON line (to stdout in the binaries).
type logSink struct {
	mu sync.Mutex
	w  io.Writer
}

// logLine is one line of the log sink.
type logLine struct {
	Batch string `json:"batch"`
	Group string `json:"group"`
	ConsumeRecord
}

func (s *logSink) deliver(_ context.Context, b *Batch) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range b.Records {
		if err := enc.Encode(logLine{Batch: b.ID, Group: b.Group, ConsumeRecord: r}); err != nil {
			return fmt.Errorf("consumewindow: log sink: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("consumewindow: log sink: %w", err)
	}
	return nil
}
