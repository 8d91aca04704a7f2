package broker

import (
	"context"
	"errors"
	"time"

	"github.com/segmentio/kafka-go"
)

// withMetaConn runs fn on the Client's long-lived metadata connection, (re)dialling it when
// missing, idle for too long, or broken (one retry: metadata calls are idempotent). These
// calls are fresh: they are not answered from the transport's metadata cache.
func (c *Client) withMetaConn(ctx context.Context, op string, fn func(*kafka.Conn) error) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if c.metaConn != nil && (time.Since(c.metaUsed) > c.cfg.IdleTimeout || c.metaSessionEnding()) {
			_ = c.metaConn.Close()
			c.metaConn = nil
		}
		if c.metaConn == nil {
			if c.metaConn, err = c.dialAny(ctx); err != nil {
				return classify(op, "", -1, err)
			}
		}
		deadline, _ := ctx.Deadline()
		_ = c.metaConn.SetDeadline(deadline)
		err = fn(c.metaConn)
		c.metaUsed = time.Now()
		if err == nil {
			return nil
		}
		if !isConnError(err) || ctx.Err() != nil {
			break
		}
		_ = c.metaConn.Close()
		c.metaConn = nil
	}
	if isConnError(err) && c.metaConn != nil {
		_ = c.metaConn.Close()
		c.metaConn = nil
	}
	return err
}

// dialAny dials the bootstrap brokers in order until one answers.
func (c *Client) dialAny(ctx context.Context) (*kafka.Conn, error) {
	var errs []error
	for _, addr := range c.cfg.Brokers {
		conn, err := c.dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}
