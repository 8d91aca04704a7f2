package fault_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/internal/rawhttp"
)

// TestSlowSignedBodiesDoNotStarveOthers is issue 9.1 on the routes whose callers are known
// only once their body has arrived: webhooks (a signature over the body) and CKafka
// SendMessage (TC3 over the body), next to a credential-less produce on an API-key route.
// The all-routes binary runs on the local platform's own server with the default body
// budget (HTTP_MAX_INFLIGHT_BYTES 16 MiB); raw connections that name a configured webhook
// source and carry a forged signature declare 1 MiB each, 30 MiB in all, and send nothing
// or a few bytes. Meanwhile an ordinary API-key produce is answered 200; every slow
// connection is answered and closed within the body deadline (plus a generous margin for a
// loaded machine), and the server logs each cut body with the budget it held and for how
// long.
func TestSlowSignedBodiesDoNotStarveOthers(t *testing.T) {
	const (
		bodyTimeout = 2 * time.Second
		margin      = 3 * time.Second // a loaded CI machine; the bound is the body deadline
		declared    = 1 << 20
		tc3ID       = "AKIDslowbody00000000000000000000"
	)
	sum := sha256.Sum256([]byte("s3cret"))
	var logs logtest.Buffer
	s := harness.Start(t, harness.Options{
		Platform: harness.Local, // the real server scripts/run starts, its deadlines included
		Auth:     harness.AuthEnv,
		Cluster:  []kfake.Opt{kfake.SeedTopics(1, "orders", "github-events", "orders.tc3")},
		Env: map[string]string{
			"AUTH_API_KEYS":        `{"ci": {"sha256": "` + hex.EncodeToString(sum[:]) + `"}}`,
			"WEBHOOK_SECRETS":      `{"github": {"scheme": "github", "secret": "slowbody-webhook-secret-0000000000", "topics": ["github-events"]}}`,
			"AUTH_TC3_CREDENTIALS": tc3ID + ":slowbodySecretKey-00000000000000",
			"CKAFKA_DATAHUBS":      "datahub-tc3=orders.tc3",
			"HTTP_BODY_TIMEOUT":    bodyTimeout.String(),
			"REQUEST_TIMEOUT":      "5s",
		},
		Log:            slog.New(slog.NewJSONHandler(&logs, nil)),
		NoOpenAPICheck: true, // the slow requests never reach the checker as whole requests
	})
	if s.Limits.MaxInflightBytes != 16<<20 || s.Limits.MaxInflightUnauthBytes != 6<<20 {
		t.Fatalf("default budget %d, unauthenticated share %d: the test is sized for 16 MiB and 6 MiB",
			s.Limits.MaxInflightBytes, s.Limits.MaxInflightUnauthBytes)
	}
	addr := strings.TrimPrefix(s.URL, "http://")

	type slow struct {
		name   string
		route  string // the mux pattern in the server's log
		conn   net.Conn
		opened time.Time
	}
	open := func(name, route, path, header string, send int) slow {
		t.Helper()
		return slow{name: name, route: route, conn: rawhttp.SlowPost(t, addr, path, header, declared, send), opened: time.Now()}
	}
	const webhookRoute, tc3Route, produceRoute = "POST /v1/webhooks/{topic}", "POST /{$}", "POST /v1/producer/topics/{topic}"
	webhookHeader := "X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=" + strings.Repeat("0", 64) + "\r\n"
	tc3Header := rawhttp.ForgedTC3(tc3ID)
	var conns []slow
	for i := range 16 { // webhook: the body is read to check the signature; nothing arrives
		conns = append(conns, open(fmt.Sprintf("webhook silent %d", i), webhookRoute, "/v1/webhooks/github-events?source=github", webhookHeader, 0))
	}
	for i := range 4 { // webhook: a few bytes arrive (the budget is taken), then nothing
		conns = append(conns, open(fmt.Sprintf("webhook trickle %d", i), webhookRoute, "/v1/webhooks/github-events?source=github", webhookHeader, 100))
	}
	for i := range 4 {
		conns = append(conns, open(fmt.Sprintf("tc3 silent %d", i), tc3Route, "/", tc3Header, 0))
	}
	for i := range 2 { // with the webhook trickles these hold the whole unauthenticated share
		conns = append(conns, open(fmt.Sprintf("tc3 trickle %d", i), tc3Route, "/", tc3Header, 100))
	}
	for i := range 4 { // an API-key route without credentials: refused from its headers
		conns = append(conns, open(fmt.Sprintf("no key %d", i), produceRoute, "/v1/producer/topics/orders", "", 100))
	}
	if len(conns)*declared <= int(s.Limits.MaxInflightBytes) {
		t.Fatalf("the slow bodies declare %d bytes, not more than the budget", len(conns)*declared)
	}
	time.Sleep(200 * time.Millisecond) // every slow request has reached its handler

	t.Run("an API-key produce is answered 200 meanwhile", func(t *testing.T) {
		start := time.Now()
		r := s.Do(t, "POST", "/v1/producer/topics/orders", `{"records":[{"value":"through"}]}`,
			"Authorization", "Basic "+basic("ci", "s3cret"))
		t.Logf("produce answered %d after %v beside %d slow bodies declaring %d MiB", r.Status, time.Since(start), len(conns), len(conns)*declared>>20)
		if r.Status != http.StatusOK {
			t.Fatalf("produce answered %d %s", r.Status, r.Body)
		}
	})

	t.Run("every slow connection is answered and closed within the body deadline", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(func() {
				res, body, closed, err := rawhttp.Answer(c.conn, c.opened.Add(bodyTimeout+margin))
				if res == nil {
					t.Errorf("%s: no answer: %v", c.name, err)
					return
				}
				switch c.route {
				case produceRoute:
					if res.StatusCode != http.StatusUnauthorized {
						t.Errorf("%s: answered %d %s, want 401", c.name, res.StatusCode, body)
					}
				case webhookRoute:
					if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "body_timeout") {
						t.Errorf("%s: answered %d %s, want 408 body_timeout", c.name, res.StatusCode, body)
					}
				default: // TencentCloud API errors are 200 with Response.Error
					if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "HTTP_BODY_TIMEOUT") {
						t.Errorf("%s: answered %d %s, want the body timeout", c.name, res.StatusCode, body)
					}
				}
				if !closed {
					t.Errorf("%s: the connection is still open after %v (%v)", c.name, time.Since(c.opened), err)
				}
			})
		}
		wg.Wait()
	})

	t.Run("the server logs every cut body with the budget it held and for how long", func(t *testing.T) {
		// The log line is written as the handler returns, just after the answer.
		var cuts []map[string]any
		waitFor(t, "a log line per cut body", func() bool {
			cuts = cuts[:0]
			for line := range strings.Lines(logs.String()) {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && strings.HasPrefix(fmt.Sprint(m["msg"]), "request body cut") {
					cuts = append(cuts, m)
				}
			}
			return len(cuts) >= len(conns)-4
		})
		byRoute := map[string]int{}
		var heldBytes, heldMS float64
		for _, m := range cuts {
			route, _ := m["route"].(string)
			byRoute[route]++
			if m["authenticated"] != false || m["body_bytes_declared"] != float64(declared) || m["request_id"] == nil ||
				m["body_timeout_ms"] != float64(bodyTimeout.Milliseconds()) {
				t.Errorf("cut body logged as %v", m)
			}
			read, _ := m["body_bytes_read"].(float64)
			held, _ := m["budget_held_bytes"].(float64)
			if (read == 0) != (held == 0) || held != 0 && held != declared {
				t.Errorf("a body that read %v bytes held %v of the budget: %v", read, held, m)
			}
			ms, _ := m["budget_held_ms"].(float64)
			heldBytes, heldMS = max(heldBytes, held), max(heldMS, ms)
		}
		if byRoute[webhookRoute] != 20 || byRoute[tc3Route] != 6 || byRoute[produceRoute] != 0 {
			t.Errorf("cut bodies by route %v, want 20 webhooks, 6 SendMessage and no refused produce", byRoute)
		}
		t.Logf("cut bodies %v; the most one held: %.0f bytes for %.0f ms (HTTP_BODY_TIMEOUT %v)", byRoute, heldBytes, heldMS, bodyTimeout)
	})
}

// basic is the value of a Basic Authorization header.
func basic(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}
