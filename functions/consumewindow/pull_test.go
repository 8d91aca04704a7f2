package consumewindow

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config/pushenv"
	"github.com/kafkafn/kafkafn/shared/groups"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/push"
)

// In package consumewindow: the pull tests call pull with Deps carrying their push
// configuration and push options (backoff) that no environment variable sets.

// testSecret is a Standard Webhooks secret (32 bytes).
const testSecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// sinkServer is a webhook receiver that verifies every delivery with its own HMAC code
// (independent of SignWebhook) and answers with what respond says.
type sinkServer struct {
	*httptest.Server
	t       *testing.T
	mu      sync.Mutex
	batches []Batch // accepted batches, in arrival order
	calls   int
	respond func(call int, w http.ResponseWriter, r *http.Request) bool // true: accepted
}

func newSinkServer(t *testing.T, respond func(call int, w http.ResponseWriter, r *http.Request) bool) *sinkServer {
	s := &sinkServer{t: t, respond: respond}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(testSecret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + ts + "." + string(body)))
		if want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)); sig != want || id == "" {
			t.Errorf("bad signature %q (want %q) for id %q", sig, want, id)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(sec, 0)) > time.Minute {
			t.Errorf("bad webhook-timestamp %q", ts)
		}
		var b Batch
		if err := json.Unmarshal(body, &b); err != nil || b.ID != id {
			t.Errorf("bad batch %s (id %q): %v", body, id, err)
		}
		s.mu.Lock()
		s.calls++
		call := s.calls
		s.mu.Unlock()
		if s.respond == nil || s.respond(call, w, r) {
			s.mu.Lock()
			s.batches = append(s.batches, b)
			s.mu.Unlock()
			if s.respond == nil {
				w.WriteHeader(http.StatusNoContent)
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sinkServer) accepted() []Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

func (s *sinkServer) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// pullConfig reads a pull configuration from env-style pairs.
func pullConfig(t *testing.T, kv ...string) push.Config {
	t.Helper()
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	cfg, err := pushenv.FromEnv(func(k string) string { return m[k] }, groups.ResetEarliest)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// withPull installs pulls on e's deps; the log sink writes to out.
func (e *Env) withPull(cfg push.Config, out io.Writer, opts ...push.Option) Deps {
	d := e.deps
	var err error
	if d.Pull, err = newPullDeps(cfg, out, opts...); err != nil {
		panic(err)
	}
	d.Pull.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return d
}

func tick(t *testing.T, d Deps, payload string) (PullStats, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return pull(ctx, d, platform.TimerEvent{Platform: "local", Name: "test", Time: time.Now(), Payload: []byte(payload)})
}

// logLine is one line of the log sink.
type logLine struct {
	Batch string `json:"batch"`
	Group string `json:"group"`
	ConsumeRecord
}

func batchRecords(bs []Batch) []ConsumeRecord {
	var out []ConsumeRecord
	for _, b := range bs {
		out = append(out, b.Records...)
	}
	return out
}

// checkPerPartitionOrder fails unless recs hold each partition's offsets [0, n) exactly
// once and in order.
func checkPerPartitionOrder(t *testing.T, recs []ConsumeRecord, want map[int]int64) {
	t.Helper()
	next := map[int]int64{}
	for _, r := range recs {
		if r.Offset != next[r.Partition] {
			t.Fatalf("partition %d: got offset %d, want %d (lost, repeated or out of order)", r.Partition, r.Offset, next[r.Partition])
		}
		next[r.Partition]++
	}
	for p, n := range want {
		if next[p] != n {
			t.Fatalf("partition %d: delivered %d records, want %d", p, next[p], n)
		}
	}
}

func TestPullLogSink(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	SeedTimed(t, e, "events", 2, 7)
	var out bytes.Buffer
	d := e.withPull(pullConfig(t, "PULL_SINK", "log", "PULL_TOPIC", "events", "PULL_GROUP", "logs", "PULL_BATCH_COUNT", "3"), &out)
	if Timer(d) == nil {
		t.Fatal("a configured pull has no timer entry point")
	}
	st, err := tick(t, d, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 7 || st.Batches != 3 || !st.CaughtUp {
		t.Fatalf("stats %+v", st)
	}
	var recs []ConsumeRecord
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if l.Group != "logs" || l.Batch == "" || l.Topic != "events" {
			t.Fatalf("line %+v", l)
		}
		recs = append(recs, l.ConsumeRecord)
	}
	checkPerPartitionOrder(t, recs, map[int]int64{0: 4, 1: 3})
	if c := e.Committed(t, "logs", "events", 2); c[0] != 4 || c[1] != 3 {
		t.Fatalf("committed %v", c)
	}
	t.Run("a caught-up tick delivers nothing", func(t *testing.T) {
		out.Reset()
		st, err := tick(t, d, "")
		if err != nil || st.Records != 0 || out.Len() != 0 {
			t.Fatalf("%+v %v %q", st, err, out.String())
		}
	})
}

func TestPullHTTPSink(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(3, "events"))
	SeedTimed(t, e, "events", 3, 20)
	sink := newSinkServer(t, nil)
	d := e.withPull(pullConfig(t, "PULL_SINK_URL", sink.URL+"/hook?k=1", "PULL_SINK_SECRET", testSecret,
		"PULL_TOPIC", "events", "PULL_GROUP", "hook", "PULL_BATCH_COUNT", "4"), nil)

	st, err := tick(t, d, "")
	if err != nil {
		t.Fatal(err)
	}
	got := sink.accepted()
	if st.Batches != 5 || len(got) != 5 {
		t.Fatalf("stats %+v, %d batches", st, len(got))
	}
	ids := map[string]bool{}
	for _, b := range got {
		if len(b.Records) > 4 || b.Topic != "events" || b.Group != "hook" || ids[b.ID] {
			t.Fatalf("batch %+v", b)
		}
		ids[b.ID] = true
	}
	checkPerPartitionOrder(t, batchRecords(got), map[int]int64{0: 7, 1: 7, 2: 6})

	t.Run("records produced between ticks come in the next tick, none lost or repeated", func(t *testing.T) {
		e.Produce(t, "events", broker.Record{Partition: 2, Value: []byte("late-0")}, broker.Record{Partition: 0, Value: []byte("late-1")})
		if _, err := tick(t, d, ""); err != nil {
			t.Fatal(err)
		}
		checkPerPartitionOrder(t, batchRecords(sink.accepted()), map[int]int64{0: 8, 1: 7, 2: 7})
	})
}

func TestPullSinkFailures(t *testing.T) {
	tests := []struct {
		name        string
		respond     func(call int, w http.ResponseWriter, r *http.Request) bool
		wantErr     bool
		wantCalls   func(int) bool
		wantCommit  bool
		description string
	}{
		{name: "a 4xx stops at once with an error and commits nothing",
			respond: func(int, http.ResponseWriter, *http.Request) bool { return false },
			wantErr: true, wantCalls: func(n int) bool { return n == 1 }},
		{name: "a redirect is not followed and fails the batch",
			respond: func(_ int, w http.ResponseWriter, r *http.Request) bool {
				http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
				return false
			},
			wantErr: true, wantCalls: func(n int) bool { return n == 1 }},
		{name: "5xx answers are retried until the sink accepts",
			respond: func(call int, w http.ResponseWriter, _ *http.Request) bool {
				if call < 3 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return false
				}
				return true
			},
			wantCalls: func(n int) bool { return n == 3 }, wantCommit: true},
		{name: "429 is retried too",
			respond: func(call int, w http.ResponseWriter, _ *http.Request) bool {
				if call == 1 {
					w.WriteHeader(http.StatusTooManyRequests)
					return false
				}
				return true
			},
			wantCalls: func(n int) bool { return n == 2 }, wantCommit: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
			SeedTimed(t, e, "events", 1, 3)
			sink := newSinkServer(t, func(call int, w http.ResponseWriter, r *http.Request) bool {
				ok := tc.respond(call, w, r)
				if !ok && w.Header().Get("Location") == "" {
					if call == 1 && tc.wantErr {
						w.WriteHeader(http.StatusBadRequest)
					}
				}
				return ok
			})
			d := e.withPull(pullConfig(t, "PULL_SINK_URL", sink.URL, "PULL_SINK_SECRET", testSecret, "PULL_TOPIC", "events", "PULL_GROUP", "g"), nil, push.WithBackoff(10*time.Millisecond))
			_, err := tick(t, d, "")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tc.wantCalls(sink.callCount()) {
				t.Fatalf("%d calls", sink.callCount())
			}
			c := e.Committed(t, "g", "events", 1)
			if tc.wantCommit != (c[0] == 3) || (!tc.wantCommit && c[0] != broker.NoCommit) {
				t.Fatalf("committed %v", c)
			}
		})
	}
}

func TestPullRedeliversAfterFailure(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(2, "events"))
	SeedTimed(t, e, "events", 2, 6)
	var failing sync.Mutex
	down := true
	sink := newSinkServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		failing.Lock()
		defer failing.Unlock()
		if down {
			w.WriteHeader(http.StatusBadGateway)
			return false
		}
		return true
	})
	d := e.withPull(pullConfig(t, "PULL_SINK_URL", sink.URL, "PULL_SINK_SECRET", testSecret, "PULL_TOPIC", "events", "PULL_GROUP", "g",
		"PULL_BATCH_COUNT", "4"), nil, push.WithBackoff(10*time.Millisecond))

	// A tick whose sink stays down until its deadline: error, nothing committed.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	d.Pull.Config.DeadlineMargin = time.Second
	_, err := pull(ctx, d, platform.TimerEvent{Platform: "local"})
	if err == nil {
		t.Fatal("a tick with a failing sink succeeded")
	}
	if ctx.Err() != nil {
		t.Fatal("the tick ran past its invocation deadline")
	}
	failedCalls := sink.callCount()
	if failedCalls < 2 {
		t.Fatalf("only %d attempts before giving up", failedCalls)
	}
	if c := e.Committed(t, "g", "events", 2); c[0] != broker.NoCommit || c[1] != broker.NoCommit {
		t.Fatalf("committed %v after a failed delivery", c)
	}

	failing.Lock()
	down = false
	failing.Unlock()
	if _, err := tick(t, d, ""); err != nil {
		t.Fatal(err)
	}
	got := sink.accepted()
	checkPerPartitionOrder(t, batchRecords(got), map[int]int64{0: 3, 1: 3})
	if c := e.Committed(t, "g", "events", 2); c[0] != 3 || c[1] != 3 {
		t.Fatalf("committed %v", c)
	}
}

func TestPullSlowSinkRespectsTheDeadline(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	SeedTimed(t, e, "events", 1, 3)
	sink := newSinkServer(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done() // never answers
		return false
	})
	d := e.withPull(pullConfig(t, "PULL_SINK_URL", sink.URL, "PULL_SINK_SECRET", testSecret, "PULL_TOPIC", "events", "PULL_GROUP", "g",
		"PULL_DEADLINE_MARGIN", "1s"), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_, err := pull(ctx, d, platform.TimerEvent{Platform: "aws"})
	if err == nil || ctx.Err() != nil {
		t.Fatalf("err = %v, ctx = %v: the tick must give up before the invocation deadline", err, ctx.Err())
	}
	if c := e.Committed(t, "g", "events", 1); c[0] != broker.NoCommit {
		t.Fatalf("committed %v", c)
	}
}

func TestPullPayload(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events", "other"))
	SeedTimed(t, e, "events", 1, 2)
	SeedTimed(t, e, "other", 1, 3)
	var out bytes.Buffer
	d := e.withPull(pullConfig(t, "PULL_SINK", "log", "PULL_TOPIC", "events", "PULL_GROUP", "g"), &out)
	tests := []struct {
		name, payload string
		wantTopic     string
		wantGroup     string
		wantRecords   int
		wantErr       bool
	}{
		{name: "an empty payload uses PULL_TOPIC and PULL_GROUP", payload: "", wantTopic: "events", wantGroup: "g", wantRecords: 2},
		{name: "the payload chooses the topic", payload: `{"topic":"other"}`, wantTopic: "other", wantGroup: "g", wantRecords: 3},
		{name: "the payload chooses topic and group", payload: ` {"topic":"other","group":"g2"} `, wantTopic: "other", wantGroup: "g2", wantRecords: 3},
		{name: "the payload may set the batch size (EventBridge Input fixture shape)", payload: `{"topic":"other","group":"g3","count":1}`, wantTopic: "other", wantGroup: "g3", wantRecords: 3},
		{name: "a payload with unknown fields is refused", payload: `{"topic":"other","limit":3}`, wantErr: true},
		{name: "a negative count is refused", payload: `{"count":-1}`, wantErr: true},
		{name: "a payload that is not an object is refused", payload: `user define msg body`, wantErr: true},
		{name: "an invalid topic in the payload is refused", payload: `{"topic":"a b"}`, wantErr: true},
		{name: "an unknown topic fails the tick", payload: `{"topic":"nope"}`, wantErr: true},
		{name: "a stray closing brace after the payload is refused", payload: `{"topic":"other"}}`, wantErr: true},
		{name: "a repeated name is refused, not the last one used", payload: `{"topic":"nope","topic":"other"}`, wantErr: true},
		{name: "a payload that is not valid UTF-8 is refused", payload: "{\"topic\":\"other\",\"group\":\"g\xff\"}", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := tick(t, d, tc.payload)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tc.wantErr && (st.Topic != tc.wantTopic || st.Group != tc.wantGroup || st.Records != tc.wantRecords) {
				t.Fatalf("stats %+v", st)
			}
		})
	}
	t.Run("without PULL_TOPIC an empty payload is an error", func(t *testing.T) {
		d := e.withPull(pullConfig(t, "PULL_SINK", "log"), &out)
		if _, err := tick(t, d, ""); err == nil || !strings.Contains(err.Error(), "PULL_TOPIC") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("without a sink there is no timer entry point", func(t *testing.T) {
		if Timer(e.withPull(pullConfig(t), &out)) != nil {
			t.Fatal("timer set without PULL_SINK")
		}
	})
}

// TestPullConfig loads the consume-window configuration the way the binaries do.
func TestPullConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"no sink means pulls are off", map[string]string{}, ""},
		{"a sink URL implies the http sink and needs a secret", map[string]string{"PULL_SINK_URL": "https://example.com/h"}, "PULL_SINK_SECRET"},
		{"a relative sink URL is refused", map[string]string{"PULL_SINK": "http", "PULL_SINK_URL": "/h", "PULL_SINK_SECRET": testSecret}, "PULL_SINK_URL"},
		{"a secret that is not base64 is refused", map[string]string{"PULL_SINK_URL": "https://example.com/h", "PULL_SINK_SECRET": "whsec_***"}, "PULL_SINK_SECRET"},
		{"a secret shorter than 16 bytes is refused", map[string]string{"PULL_SINK_URL": "https://example.com/h", "PULL_SINK_SECRET": "whsec_c2hvcnQ="}, "PULL_SINK_SECRET"},
		{"an unknown sink is refused", map[string]string{"PULL_SINK": "kinesis"}, "PULL_SINK"},
		{"an unknown reset is refused", map[string]string{"PULL_SINK": "log", "PULL_RESET": "middle"}, "PULL_RESET"},
		{"a margin longer than the tick is refused", map[string]string{"PULL_SINK": "log", "PULL_MAX_DURATION": "2s", "PULL_DEADLINE_MARGIN": "3s"}, "PULL_DEADLINE_MARGIN"},
		{"an unknown group reset is refused", map[string]string{"CONSUME_GROUP_RESET": "middle"}, "CONSUME_GROUP_RESET"},
		{"a token secret shorter than 16 bytes is refused", map[string]string{"CONSUME_TOKEN_SECRET": "short"}, "CONSUME_TOKEN_SECRET"},
		{"a complete http sink is accepted", map[string]string{"PULL_SINK_URL": "https://example.com/h", "PULL_SINK_SECRET": testSecret}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadDeps(platform.Env{Getenv: func(k string) string { return tc.env[k] }, Platform: "local"}, Deps{})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want mention of %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "MDEyMzQ1") {
				t.Fatal("the error repeats the secret")
			}
		})
	}
}

func TestPullStopsCleanlyWhenTheNextBatchWouldNotFit(t *testing.T) {
	e := startEnv(t, nil, kfake.SeedTopics(1, "events"))
	// 32 batches of one record at 200 ms each need 6.4 s; the tick has 3 s, so it runs out of
	// time part-way however slow the machine is (the first batch has 2.7 s to get through).
	SeedTimed(t, e, "events", 1, 32)
	sink := newSinkServer(t, func(_ int, _ http.ResponseWriter, _ *http.Request) bool {
		time.Sleep(200 * time.Millisecond) // a slow receiver
		return true
	})
	d := e.withPull(pullConfig(t, "PULL_SINK_URL", sink.URL, "PULL_SINK_SECRET", testSecret, "PULL_TOPIC", "events", "PULL_GROUP", "g",
		"PULL_BATCH_COUNT", "1", "PULL_DEADLINE_MARGIN", "300ms"), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	st, err := pull(ctx, d, platform.TimerEvent{Platform: "aws"})
	if err != nil {
		t.Fatalf("a tick that ran out of time failed: %v", err)
	}
	if !st.OutOfTime || st.CaughtUp || st.Batches == 0 || st.Batches >= 32 {
		t.Fatalf("stats %+v", st)
	}
	if c := e.Committed(t, "g", "events", 1); c[0] != int64(st.Batches) {
		t.Fatalf("committed %d after %d delivered batches of one record", c[0], st.Batches)
	}
	// The next ticks go on where this one stopped, without loss or repeats.
	for range 20 {
		st, err := tick(t, d, "")
		if err != nil {
			t.Fatal(err)
		}
		if st.CaughtUp {
			break
		}
	}
	checkPerPartitionOrder(t, batchRecords(sink.accepted()), map[int]int64{0: 32})
}
