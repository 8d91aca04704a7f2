package consumewindow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config/pushenv"
	"github.com/kafkafn/kafkafn/shared/groups"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/push"
	"github.com/kafkafn/kafkafn/shared/webhook"
)

// Batch is what a scheduled pull delivers to its sink: one group window.
type Batch = push.Batch[ConsumeRecord]

// PullDeps configures scheduled batch pulls (see push.Config). Pulls are off when no sink
// is configured: the function then has no timer entry point.
type PullDeps struct {
	Config push.Config
	sink   push.Sink[ConsumeRecord]
	log    *slog.Logger
}

func loadPull(env platform.Env, g groups.Config) (PullDeps, error) {
	cfg, err := pushenv.FromEnv(env.Getenv, g.Reset)
	if err != nil {
		return PullDeps{}, err
	}
	return newPullDeps(cfg, os.Stdout)
}

// newPullDeps builds the sink named by cfg; the log sink writes to out, opts configure the
// http sink.
func newPullDeps(cfg push.Config, out io.Writer, opts ...push.Option) (PullDeps, error) {
	d := PullDeps{Config: cfg, log: slog.Default()}
	switch cfg.Sink {
	case push.SinkHTTP:
		signer, err := webhook.NewSigner(cfg.SinkSecret)
		if err != nil {
			return PullDeps{}, fmt.Errorf("PULL_SINK_SECRET: %w", err)
		}
		d.sink = push.NewHTTP[ConsumeRecord](cfg.SinkURL, signer, cfg.SinkTimeout, opts...)
	case push.SinkLog:
		d.sink = push.NewLog[ConsumeRecord](out)
	}
	return d, nil
}

// Timer returns the timer entry point (scheduled batch pulls: each tick runs pull), or nil
// when pulls are not configured.
func Timer(d Deps) func(context.Context, platform.TimerEvent) error {
	if d.Pull.sink == nil {
		return nil
	}
	return func(ctx context.Context, ev platform.TimerEvent) error {
		_, err := pull(ctx, d, ev)
		return err
	}
}

// PullPayload is the JSON a timer trigger may carry (EventBridge Input, SCF Message) to
// choose the topic, group and batch size of this tick instead of PULL_TOPIC, PULL_GROUP and
// PULL_BATCH_COUNT.
type PullPayload struct {
	Topic string `json:"topic,omitempty"`
	Group string `json:"group,omitempty"`
	Count int    `json:"count,omitempty"` // records per batch, 1 to 100000
}

// maxPullCount bounds a batch's record count.
const maxPullCount = 100000

// maxPullPayload bounds the timer payload (SCF allows 4 KB for Message).
const maxPullPayload = 64 << 10

// decodePullPayload reads a timer payload strictly: empty (or JSON null or {}) means the
// configured defaults; otherwise one JSON object with only topic, group and count, in valid
// UTF-8 without repeated names.
func decodePullPayload(b []byte) (PullPayload, error) {
	var p PullPayload
	b = bytes.Trim(b, " \t\r\n") // JSON white space only
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return p, nil
	}
	if len(b) > maxPullPayload {
		return p, apierr.E(apierr.TooLarge, "invalid_payload", "consumewindow: pull: the timer payload is too large")
	}
	if err := httpio.CheckJSONText(b, "invalid_payload", "consumewindow: pull: the timer payload"); err != nil {
		return PullPayload{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return PullPayload{}, apierr.Wrap(apierr.Invalid, "invalid_payload",
			`consumewindow: pull: the timer payload must be a JSON object {"topic":"…","group":"…"}`, err)
	}
	if _, err := dec.Token(); err != io.EOF { // dec.More() would accept a stray "}" or "]"
		return PullPayload{}, apierr.E(apierr.Invalid, "invalid_payload", "consumewindow: pull: trailing data after the timer payload")
	}
	if p.Count < 0 || p.Count > maxPullCount {
		return PullPayload{}, apierr.E(apierr.Invalid, "invalid_payload", "consumewindow: pull: count in the timer payload must be between 1 and 100000")
	}
	return p, nil
}

// PullStats summarises one tick.
type PullStats struct {
	Topic, Group string
	Batches      int
	Records      int
	CaughtUp     bool // stopped because every partition was read to its end
	// OutOfTime is true when the tick stopped early, successfully, because the time left
	// before the deadline margin was less than twice what the last batch took: the next
	// tick goes on from the last commit.
	OutOfTime bool
}

// pull runs one tick: read group windows of the topic and deliver each to the sink,
// committing a batch only after the sink accepted it, until caught up or the deadline
// nears. The deadline is the invocation's (or PULL_MAX_DURATION from now, if sooner);
// no batch is read or delivered within PULL_DEADLINE_MARGIN of it, and that margin is left
// for committing the batch just delivered.
func pull(ctx context.Context, d Deps, ev platform.TimerEvent) (PullStats, error) {
	cfg := d.Pull.Config
	p, err := decodePullPayload(ev.Payload)
	if err != nil {
		return PullStats{}, err
	}
	st := PullStats{Topic: cfg.Topic, Group: cfg.Group}
	if p.Topic != "" {
		st.Topic = p.Topic
	}
	if p.Group != "" {
		st.Group = p.Group
	}
	count := cfg.BatchCount
	if p.Count > 0 {
		count = p.Count
	}
	if st.Topic == "" || st.Group == "" {
		return st, apierr.E(apierr.Invalid, "pull_not_configured",
			"consumewindow: pull: no topic or group: set PULL_TOPIC and PULL_GROUP, or send {\"topic\",\"group\"} in the timer payload")
	}
	if err := broker.ValidateTopicName(st.Topic); err != nil {
		return st, fmt.Errorf("consumewindow: pull: %w", err)
	}
	if err := broker.ValidateGroupID(st.Group); err != nil {
		return st, fmt.Errorf("consumewindow: pull: %w", err)
	}

	hard := time.Now().Add(cfg.MaxDuration)
	if dl, ok := ctx.Deadline(); ok && dl.Before(hard) {
		hard = dl
	}
	hardCtx, cancelHard := context.WithDeadline(ctx, hard)
	defer cancelHard()
	workCtx, cancelWork := context.WithDeadline(hardCtx, hard.Add(-cfg.DeadlineMargin))
	defer cancelWork()

	log := d.Pull.log
	if log == nil {
		log = slog.Default()
	}
	defer func() {
		log.Info("consumewindow: pull tick", "platform", ev.Platform, "trigger", ev.Name, "topic", st.Topic, "group", st.Group,
			"batches", st.Batches, "records", st.Records, "caught_up", st.CaughtUp, "out_of_time", st.OutOfTime)
	}()
	var last time.Duration // how long the last batch took, read to commit
	for workCtx.Err() == nil {
		if dl, _ := workCtx.Deadline(); st.Batches > 0 && time.Until(dl) < 2*last {
			st.OutOfTime = true
			break
		}
		began := time.Now()
		b, err := readGroupWindow(workCtx, d, st.Group, st.Topic, cfg.Reset, count, cfg.BatchBytes, nil)
		if err != nil {
			if workCtx.Err() != nil && hardCtx.Err() == nil {
				st.OutOfTime = true // the deadline margin was reached while reading: nothing to commit
				return st, nil
			}
			return st, pullFailed(st, "read", err)
		}
		if len(b.messages) > 0 {
			batch := Batch{ID: batchID(st.Group, st.Topic, b.messages), Topic: st.Topic, Group: st.Group,
				Records: make([]ConsumeRecord, len(b.messages))}
			for i := range b.messages {
				batch.Records[i] = ToRecord(st.Topic, &b.messages[i], false)
			}
			if err := d.Pull.sink.Deliver(workCtx, &batch); err != nil {
				// Not committed: the next tick delivers these records again.
				return st, pullFailed(st, "deliver", err)
			}
		}
		// Commit what was delivered (or, for an empty window, pin the reset position of
		// partitions without a commit). hardCtx: the margin is kept for this.
		if _, err := commitOffsets(hardCtx, d, &b.commitToken); err != nil {
			return st, pullFailed(st, "commit", err)
		}
		if len(b.messages) > 0 {
			st.Batches++
			st.Records += len(b.messages)
		}
		last = time.Since(began)
		if b.caughtUp || len(b.messages) == 0 {
			st.CaughtUp = b.caughtUp
			break
		}
	}
	if !st.CaughtUp && workCtx.Err() != nil {
		st.OutOfTime = true
	}
	return st, nil
}

// pullFailed classifies a failed tick. Its public message (shown in platform invocation
// logs, such as the Azure payload-mode Logs) names the step and the cause's own public
// message; sink failures are BadGateway, Kafka failures keep their kind.
func pullFailed(st PullStats, step string, err error) error {
	msg := fmt.Sprintf("consumewindow: scheduled pull of %s for group %s: %s failed (%d batches delivered before): %s",
		st.Topic, st.Group, step, st.Batches, apierr.MessageOf(err))
	return apierr.Wrap(apierr.KindOf(err), "pull_failed", msg, err)
}

// batchID derives a Standard Webhooks message id from a batch's content: the same records
// give the same id.
func batchID(group, topic string, msgs []broker.Message) string {
	h := sha256.New()
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(topic))
	h.Write([]byte{0})
	var buf [12]byte
	for i := range msgs {
		binary.BigEndian.PutUint32(buf[:4], uint32(msgs[i].Partition))
		binary.BigEndian.PutUint64(buf[4:], uint64(msgs[i].Offset))
		h.Write(buf[:])
	}
	return "msg_" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}
