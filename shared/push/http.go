package push

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
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/webhook"
)

// HTTP POSTs each batch as JSON to a URL, signed with the Standard Webhooks scheme.
// 2xx accepts the batch. 5xx, 408, 429, timeouts and connection failures are retried with
// exponential backoff while the context's deadline allows; any other answer (4xx, 3xx: no
// redirects are followed) fails the batch at once.
type HTTP[R any] struct {
	url     string
	signer  *webhook.Signer
	timeout time.Duration // per attempt
	client  *http.Client
	backoff time.Duration // first retry delay; doubles up to maxBackoff
}

var _ Sink[struct{}] = (*HTTP[struct{}])(nil)

const (
	defaultBackoff = 200 * time.Millisecond
	maxBackoff     = 5 * time.Second
)

// Option configures an HTTP sink.
type Option func(*options)

type options struct{ backoff time.Duration }

// WithBackoff sets the delay before the first retry (default 200ms); it doubles with each
// retry up to 5s.
func WithBackoff(d time.Duration) Option { return func(o *options) { o.backoff = d } }

// NewHTTP returns a sink that posts to url, signing with signer; timeout bounds one attempt.
func NewHTTP[R any](url string, signer *webhook.Signer, timeout time.Duration, opts ...Option) *HTTP[R] {
	o := options{backoff: defaultBackoff}
	for _, opt := range opts {
		opt(&o)
	}
	return &HTTP[R]{
		url: url, signer: signer, timeout: timeout, backoff: o.backoff,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// Error is a delivery failure; retry tells whether another attempt may succeed.
type Error struct {
	msg   string
	retry bool
	err   error
}

func (e *Error) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *Error) Unwrap() error { return e.err }

// ErrorKind implements apierr.Kinder: the sink is an upstream that failed.
func (e *Error) ErrorKind() apierr.Kind { return apierr.BadGateway }

// PublicMessage implements apierr.Publicer. The URL is never part of it.
func (e *Error) PublicMessage() string { return "sink: " + e.Error() }

// Deliver posts b until the receiver accepts it, refuses it, or ctx leaves no time for
// another attempt.
func (s *HTTP[R]) Deliver(ctx context.Context, b *Batch[R]) error {
	body, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("push: http sink: encode batch: %w", err)
	}
	wait := s.backoff
	for attempt := 1; ; attempt++ {
		err := s.post(ctx, b.ID, body)
		if err == nil {
			return nil
		}
		var se *Error
		if !errors.As(err, &se) || !se.retry {
			return fmt.Errorf("push: http sink: batch %s: attempt %d: %w", b.ID, attempt, err)
		}
		// Full jitter in [wait/2, wait].
		d := wait/2 + rand.N(wait/2+1)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
			return fmt.Errorf("push: http sink: batch %s: giving up after %d attempts before the deadline: %w", b.ID, attempt, err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("push: http sink: batch %s: giving up after %d attempts: %w", b.ID, attempt, err)
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

func (s *HTTP[R]) post(ctx context.Context, id string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return &Error{msg: "build request", err: err}
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
		return &Error{msg: "post", retry: true, err: redactURL(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 500, res.StatusCode == http.StatusRequestTimeout, res.StatusCode == http.StatusTooManyRequests:
		return &Error{msg: "the sink answered " + res.Status, retry: true}
	default:
		return &Error{msg: "the sink refused the batch: " + res.Status}
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
