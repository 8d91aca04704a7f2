package httpio_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

func TestBodyBudget(t *testing.T) {
	entered := make(chan struct{}, 4)
	unblock := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
		if _, err := httpio.ReadBody(w, r, 100); err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		entered <- struct{}{}
		<-unblock
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /fast", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	limits := httpio.Limits{MaxBodyBytes: 100, MaxInflightBytes: 150, RequestTimeout: 200 * time.Millisecond}
	srv := httptest.NewServer(httpio.Serve(mux, nil, httpio.WithBodyBudget(limits)))
	defer srv.Close()

	post := func(n int) (*http.Response, error) {
		return http.Post(srv.URL+"/slow", "text/plain", strings.NewReader(strings.Repeat("x", n)))
	}
	first := make(chan *http.Response, 1)
	go func() {
		res, err := post(100)
		if err != nil {
			t.Error(err)
		}
		first <- res
	}()
	<-entered // 100 of 150 bytes are now in flight

	t.Run("a request without a body does not wait", func(t *testing.T) {
		res, err := http.Get(srv.URL + "/fast")
		if err != nil || res.StatusCode != http.StatusNoContent {
			t.Fatalf("%v %v", res, err)
		}
		res.Body.Close()
	})
	t.Run("a body that does not fit waits, then gets a retryable 503", func(t *testing.T) {
		res, err := post(60)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body httpio.ErrorBody
		_ = json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != http.StatusServiceUnavailable || body.Error.Code != "server_busy" || !body.Error.Retryable {
			t.Fatalf("%d %+v", res.StatusCode, body)
		}
	})
	t.Run("a body that fits goes through", func(t *testing.T) {
		go func() {
			res, err := post(50)
			if err == nil {
				res.Body.Close()
			}
		}()
		select {
		case <-entered:
		case <-time.After(5 * time.Second):
			t.Fatal("a 50-byte body did not get in beside the 100-byte one")
		}
	})
	close(unblock)
	if res := <-first; res == nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("first request: %v", res)
	}
}

func TestBudgetConfig(t *testing.T) {
	l, err := config.LimitsFromEnv(func(string) string { return "" })
	if err != nil || l.MaxInflightBytes != 16<<20 {
		t.Fatalf("default %d, %v", l.MaxInflightBytes, err)
	}
	_, err = config.LimitsFromEnv(func(k string) string {
		return map[string]string{"HTTP_MAX_INFLIGHT_BYTES": "1024"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "HTTP_MAX_INFLIGHT_BYTES") {
		t.Fatalf("a budget below the body cap: %v", err)
	}
	if l.MaxInflightUnauthBytes != 6<<20 || l.BodyTimeout != 20*time.Second || l.MaxInflightResponseBytes != 32<<20 {
		t.Fatalf("defaults: unauthenticated share %d, body timeout %v, response budget %d",
			l.MaxInflightUnauthBytes, l.BodyTimeout, l.MaxInflightResponseBytes)
	}
	for _, tc := range []struct{ name, value, wantErr string }{
		{"HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES", "1024", "between HTTP_MAX_BODY_BYTES"},
		{"HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES", "33554432", "between HTTP_MAX_BODY_BYTES"},
		{"HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES", "8388608", ""},
		{"HTTP_MAX_INFLIGHT_RESPONSE_BYTES", "1024", "at least CONSUME_MAX_BYTES"},
		{"HTTP_MAX_INFLIGHT_RESPONSE_BYTES", "0", ""},
		{"HTTP_BODY_TIMEOUT", "1ms", "HTTP_BODY_TIMEOUT"},
		{"HTTP_BODY_TIMEOUT", "5s", ""},
	} {
		_, err := config.LimitsFromEnv(func(k string) string { return map[string]string{tc.name: tc.value}[k] })
		if (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s=%s: %v, want %q", tc.name, tc.value, err, tc.wantErr)
		}
	}
}

// rawPost opens a connection, sends a POST declaring length bytes and the first send of
// them, and leaves it open.
func rawPost(t *testing.T, addr, path string, length, send int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", path, length, strings.Repeat("x", send))
	return c
}

func TestBodyBudgetMechanics(t *testing.T) {
	read := func(w http.ResponseWriter, r *http.Request) {
		if _, err := httpio.ReadBody(w, r, 100); err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /signed", read) // the body is read before anyone knows the caller
	mux.HandleFunc("POST /authed", func(w http.ResponseWriter, r *http.Request) {
		httpio.MarkAuthenticated(r) // as auth.Guard does after a bearer token checked out
		read(w, r)
	})
	mux.HandleFunc("POST /refused", func(w http.ResponseWriter, r *http.Request) {
		httpio.WriteError(w, r, apierr.E(apierr.Unauthorized, "unauthorized", "credentials are required"))
	})
	limits := httpio.Limits{MaxBodyBytes: 100, MaxInflightBytes: 200, MaxInflightUnauthBytes: 100,
		RequestTimeout: 300 * time.Millisecond, BodyTimeout: time.Second}
	var logs logtest.Buffer
	srv := httptest.NewServer(httpio.Serve(mux, slog.New(slog.NewJSONHandler(&logs, nil)), httpio.WithBodyBudget(limits)))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	post := func(path string, n int) int {
		res, err := http.Post(srv.URL+path, "text/plain", strings.NewReader(strings.Repeat("x", n)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}

	// Bodies that have sent nothing hold nothing, however much they declare.
	for range 5 {
		rawPost(t, addr, "/authed", 100, 0)
	}
	// Two refused without reading their body take nothing either.
	for range 2 {
		rawPost(t, addr, "/refused", 100, 0)
	}
	// One unauthenticated body sent a byte: it holds the whole unauthenticated share.
	trickle := rawPost(t, addr, "/signed", 100, 1)
	time.Sleep(100 * time.Millisecond)

	t.Run("an authenticated body gets the rest of the budget", func(t *testing.T) {
		if got := post("/authed", 100); got != http.StatusNoContent {
			t.Fatalf("answered %d", got)
		}
	})
	t.Run("another unauthenticated body finds the share taken: retryable 503", func(t *testing.T) {
		if got := post("/signed", 50); got != http.StatusServiceUnavailable {
			t.Fatalf("answered %d", got)
		}
	})
	t.Run("the stalled body is answered 408 at the body timeout and its connection closed", func(t *testing.T) {
		_ = trickle.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(trickle)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("answered %d", res.StatusCode)
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("connection still open: %v", err)
		}
	})
	t.Run("the cut is logged with the budget the body held and for how long", func(t *testing.T) {
		var cut map[string]any
		for line := range strings.Lines(logs.String()) {
			var m map[string]any
			// The silent /authed bodies are cut too (holding nothing); this is the stalled one.
			if json.Unmarshal([]byte(line), &m) == nil && strings.HasPrefix(fmt.Sprint(m["msg"]), "request body cut") && m["route"] == "POST /signed" {
				cut = m
			}
		}
		if cut == nil {
			t.Fatalf("no log line for the cut body in\n%s", logs.String())
		}
		want := map[string]any{"level": "WARN", "route": "POST /signed", "body_timeout_ms": 1000.0, "body_bytes_read": 1.0,
			"body_bytes_declared": 100.0, "budget_held_bytes": 100.0, "authenticated": false}
		for k, v := range want {
			if cut[k] != v {
				t.Errorf("%s = %v, want %v (line %v)", k, cut[k], v, cut)
			}
		}
		for _, k := range []string{"budget_held_ms", "body_read_ms", "request_id"} {
			if _, ok := cut[k]; !ok {
				t.Errorf("no %s in %v", k, cut)
			}
		}
	})
	t.Run("its share is free again", func(t *testing.T) {
		if got := post("/signed", 100); got != http.StatusNoContent {
			t.Fatalf("answered %d", got)
		}
	})
}

func TestResponseHold(t *testing.T) {
	held := make(chan struct{})
	unblock := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /read/{n}/{wait}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(r.PathValue("n"), 10, 64)
		if err := httpio.ResponseHold(r).Grow(r.Context(), n, r.PathValue("wait") == "wait"); err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		if r.URL.Query().Has("block") {
			held <- struct{}{}
			<-unblock
		}
		w.WriteHeader(http.StatusNoContent)
	})
	limits := httpio.Limits{MaxInflightResponseBytes: 100, RequestTimeout: 200 * time.Millisecond}
	srv := httptest.NewServer(httpio.Serve(mux, nil, httpio.WithResponseBudget(limits)))
	defer srv.Close()
	get := func(path string) (int, httpio.ErrorBody) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Error(err)
			return 0, httpio.ErrorBody{}
		}
		defer res.Body.Close()
		var body httpio.ErrorBody
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	done := make(chan int)
	go func() { s, _ := get("/read/80/wait?block"); done <- s }()
	<-held
	for _, tc := range []struct {
		name, path string
		want       int
	}{
		{"room left: granted", "/read/20/now", http.StatusNoContent},
		{"no room, not waiting: refused at once", "/read/30/now", http.StatusServiceUnavailable},
		{"no room, waiting: retryable 503 after the wait", "/read/30/wait", http.StatusServiceUnavailable},
		{"more than the whole budget", "/read/101/wait", http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(tc.path)
			if status != tc.want || (status == 503 && (body.Error.Code != "server_busy" || !body.Error.Retryable)) {
				t.Fatalf("%d %+v", status, body)
			}
		})
	}
	close(unblock)
	if s := <-done; s != http.StatusNoContent {
		t.Fatalf("first read %d", s)
	}
	t.Run("given back when the request is done", func(t *testing.T) {
		if status, body := get("/read/100/now"); status != http.StatusNoContent {
			t.Fatalf("%d %+v", status, body)
		}
	})
}
