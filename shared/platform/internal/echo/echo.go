// Package echo is a small App for adapter and contract tests: it reports back what the
// adapter handed it (method, path, query, headers, body, invocation metadata, deadline),
// produces binary, oversized and cookie-setting responses on demand, panics on demand, keeps
// the last timer event, and counts connections it reuses to an upstream so warm reuse can be
// observed from outside the process.
package echo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Reply is the JSON body of /echo/.
type Reply struct {
	Method      string              `json:"method"`
	Path        string              `json:"path"`
	EscapedPath string              `json:"escapedPath"`
	Query       map[string][]string `json:"query"`
	Header      map[string][]string `json:"header"`
	Host        string              `json:"host"`
	Body        string              `json:"body"`
	BodyBase64  string              `json:"bodyBase64"`
	RemoteAddr  string              `json:"remoteAddr"`
	HasDeadline bool                `json:"hasDeadline"`
	DeadlineMs  int64               `json:"deadlineMs,omitempty"`
	Invocation  *Invocation         `json:"invocation,omitempty"`
	Builds      int64               `json:"builds"`
	Env         string              `json:"env,omitempty"`
	Platform    string              `json:"platform"`
	RequestID   string              `json:"requestId"`       // httpio.RequestID
	Trace       map[string]string   `json:"trace,omitempty"` // httpio.TraceHeaders
}

// Invocation is platform.Invocation without Raw.
type Invocation struct {
	Platform     string `json:"platform"`
	RequestID    string `json:"requestId"`
	FunctionName string `json:"functionName"`
	DeadlineMs   int64  `json:"deadlineMs,omitempty"`
	SourceIP     string `json:"sourceIp"`
}

// Timer is the JSON form of the last timer event.
type Timer struct {
	Platform string          `json:"platform"`
	Name     string          `json:"name"`
	Time     time.Time       `json:"time"`
	Payload  string          `json:"payload"`
	Count    int             `json:"count"`
	Inv      *Invocation     `json:"invocation,omitempty"`
	Raw      json.RawMessage `json:"-"`
}

var builds struct {
	sync.Mutex
	n int64
}

// Build is a platform.BuildFunc. ECHO_UPSTREAM, when set, is the URL /pool fetches through
// one shared keep-alive client; ECHO_ENV names one variable /echo/ reports (to observe the
// SCF per-invoke environment).
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	builds.Lock()
	builds.n++
	n := builds.n
	builds.Unlock()
	if env.Getenv("ECHO_FAIL_BUILD") == "true" {
		return platform.App{}, errors.New("echo: build: ECHO_FAIL_BUILD is set")
	}
	a := &app{
		env:      env,
		builds:   n,
		upstream: env.Getenv("ECHO_UPSTREAM"),
		client:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 10 * time.Second},
	}
	ops, reg, err := config.LoadOps(env)
	if err != nil {
		return platform.App{}, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo/", a.echo)
	mux.Handle("GET /metrics", httpio.MetricsHandler(reg))
	mux.HandleFunc("GET /binary", func(w http.ResponseWriter, _ *http.Request) {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("echo: asked to panic") })
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		chunk := []byte(strings.Repeat("x", 64<<10))
		for n > 0 {
			c := chunk[:min(n, len(chunk))]
			if _, err := w.Write(c); err != nil {
				return
			}
			n -= len(c)
		}
	})
	mux.HandleFunc("GET /cookies", func(w http.ResponseWriter, _ *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		httpio.WriteJSON(w, http.StatusTeapot, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET /pool", a.pool)
	mux.HandleFunc("GET /timer/last", a.lastTimer)
	return platform.App{
		HTTP:  httpio.Serve(mux, nil, httpio.WithOps(ops, reg)),
		Timer: a.timer,
		Close: a.client.CloseIdleConnections,
	}, nil
}

// BuildHTTPOnly is Build without a timer entry point.
func BuildHTTPOnly(ctx context.Context, env platform.Env) (platform.App, error) {
	app, err := Build(ctx, env)
	app.Timer = nil
	return app, err
}

type app struct {
	env      platform.Env
	builds   int64
	upstream string
	client   *http.Client

	mu     sync.Mutex
	last   *Timer
	timers int
}

func invocation(ctx context.Context) *Invocation {
	inv, ok := platform.FromContext(ctx)
	if !ok {
		return nil
	}
	out := &Invocation{Platform: inv.Platform, RequestID: inv.RequestID, FunctionName: inv.FunctionName, SourceIP: inv.SourceIP}
	if !inv.Deadline.IsZero() {
		out.DeadlineMs = inv.Deadline.UnixMilli()
	}
	return out
}

func (a *app) echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	rep := Reply{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Query: r.URL.Query(),
		Header: r.Header, Host: r.Host, Body: string(body), BodyBase64: base64.StdEncoding.EncodeToString(body),
		RemoteAddr: r.RemoteAddr, Invocation: invocation(r.Context()), Builds: a.builds, Platform: a.env.Platform,
		RequestID: httpio.RequestID(r.Context()),
	}
	for _, h := range httpio.TraceHeaders(r.Context()) {
		if rep.Trace == nil {
			rep.Trace = map[string]string{}
		}
		rep.Trace[h.Key] = h.Value
	}
	if d, ok := r.Context().Deadline(); ok {
		rep.HasDeadline, rep.DeadlineMs = true, d.UnixMilli()
	}
	if name := a.env.Getenv("ECHO_ENV"); name != "" {
		rep.Env = a.env.Getenv(name)
	}
	httpio.WriteJSON(w, http.StatusOK, rep)
}

func (a *app) pool(w http.ResponseWriter, r *http.Request) {
	if a.upstream == "" {
		httpio.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "ECHO_UPSTREAM is not set"})
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, a.upstream, nil)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	resp, err := a.client.Do(req)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	httpio.WriteJSON(w, http.StatusOK, map[string]any{"upstreamStatus": resp.StatusCode, "upstream": string(b)})
}

func (a *app) timer(ctx context.Context, ev platform.TimerEvent) error {
	if strings.Contains(string(ev.Payload), `"fail":true`) {
		return errors.New("echo: timer: the payload asked to fail")
	}
	if strings.Contains(string(ev.Payload), `"panic":true`) {
		panic("echo: timer: the payload asked to panic")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.timers++
	a.last = &Timer{Platform: ev.Platform, Name: ev.Name, Time: ev.Time, Payload: string(ev.Payload), Count: a.timers, Inv: invocation(ctx)}
	return nil
}

func (a *app) lastTimer(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	last := a.last
	a.mu.Unlock()
	if last == nil {
		httpio.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no timer event yet"})
		return
	}
	httpio.WriteJSON(w, http.StatusOK, last)
}
