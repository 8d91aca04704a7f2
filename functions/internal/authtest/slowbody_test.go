package authtest

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/internal/rawhttp"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
)

// TestSlowBodiesDoNotStarveOthers: callers who announce large bodies and send (almost)
// nothing, with no valid credentials, on the routes that read the body before they can
// check a signature (TC3 POST /) and on bearer routes, declare far more than the whole
// default body budget; an ordinary bearer-authenticated produce is still answered 200, and
// every slow connection is answered and closed within the body deadline.
func TestSlowBodiesDoNotStarveOthers(t *testing.T) {
	const bodyTimeout = 2 * time.Second
	idp := entratest.New(t)
	h := harness.Start(t, harness.Options{
		Routes:   harness.Produce,
		Platform: harness.Local,
		Auth:     harness.AuthEnv,
		Cluster:  []kfake.Opt{kfake.SeedTopics(1, "orders.eu", "orders.tc3")},
		Env: map[string]string{
			"AUTH_ENTRA_TENANT_ID":      idp.Tenant,
			"AUTH_ENTRA_AUDIENCE":       audience,
			"AUTH_ENTRA_AUTHORITY_HOST": idp.URL,
			"AUTH_TC3_CREDENTIALS":      tc3ID + ":" + tc3Key,
			"CKAFKA_DATAHUBS":           "datahub-tc3=orders.tc3",
			"AUTH_POLICY":               thePolicy,
			"HTTP_BODY_TIMEOUT":         bodyTimeout.String(),
			"REQUEST_TIMEOUT":           "5s",
		},
		Log: slog.Default(),
		// The check records each answer in an httptest.ResponseRecorder, through which the
		// product cannot set the connection's read deadline (http.ResponseController): no
		// slow body would ever time out.
		NoOpenAPICheck: true,
	})
	if h.Limits.MaxInflightBytes != 16<<20 {
		t.Fatalf("the default body budget is %d, the test is sized for 16 MiB", h.Limits.MaxInflightBytes)
	}
	addr := strings.TrimPrefix(h.URL, "http://")

	// 1 MiB declared per connection: the 24 TC3 ones alone declare 24 MiB, more than the
	// whole budget.
	const declared = 1 << 20
	type slow struct {
		name   string
		conn   net.Conn
		opened time.Time
	}
	open := func(name, path, header string, send int) slow {
		t.Helper()
		return slow{name: name, conn: rawhttp.SlowPost(t, addr, path, header, declared, send), opened: time.Now()}
	}
	tc3Header := rawhttp.ForgedTC3(tc3ID)
	var conns []slow
	for i := range 20 { // TC3: the body is read to check the signature; nothing arrives
		conns = append(conns, open(fmt.Sprintf("tc3 silent %d", i), "/", tc3Header, 0))
	}
	for i := range 4 { // TC3: a few bytes arrive, then nothing
		conns = append(conns, open(fmt.Sprintf("tc3 trickle %d", i), "/", tc3Header, 100))
	}
	for i := range 12 { // bearer route without a token
		conns = append(conns, open(fmt.Sprintf("no token %d", i), "/v1/producer/topics/orders.eu", "", 100))
	}
	time.Sleep(200 * time.Millisecond) // every slow request has reached its handler

	t.Run("an authenticated produce is answered 200 meanwhile", func(t *testing.T) {
		c := idp.Claims("2.0", audience)
		c["roles"] = []string{"Kafka.Admin"}
		tok := secret(idp.Sign(c))
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+addr+"/v1/producer/topics/orders.eu",
			strings.NewReader(`{"records":[{"value":"through"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		took := time.Since(start)
		t.Logf("produce answered %d after %v beside %d slow bodies declaring %d MiB", res.StatusCode, took, len(conns), len(conns)*declared>>20)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("produce answered %d %s after %v", res.StatusCode, body, took)
		}
	})

	t.Run("every slow connection is answered and closed within the body deadline", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, s := range conns {
			wg.Go(func() {
				res, body, closed, err := rawhttp.Answer(s.conn, s.opened.Add(bodyTimeout+2*time.Second))
				if res == nil {
					t.Errorf("%s: no answer: %v", s.name, err)
					return
				}
				switch {
				case strings.HasPrefix(s.name, "no token"):
					if res.StatusCode != http.StatusUnauthorized { // refused from its headers, its body never read
						t.Errorf("%s: answered %d %s, want 401", s.name, res.StatusCode, body)
					}
				default: // TencentCloud API errors are 200 with Response.Error
					if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "HTTP_BODY_TIMEOUT") ||
						!strings.Contains(string(body), `"Code":"FailedOperation"`) {
						t.Errorf("%s: answered %d %s, want the body timeout", s.name, res.StatusCode, body)
					}
				}
				if !closed {
					t.Errorf("%s: the connection is still open after %v (%v)", s.name, time.Since(s.opened), err)
				}
			})
		}
		wg.Wait()
	})
}
