package azurefunc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/local"
)

// Platform is the name this adapter reports in platform.Env, Invocation and TimerEvent.
const Platform = "azure"

// The port variables, in order of preference.
const (
	PortEnv       = "FUNCTIONS_CUSTOMHANDLER_PORT"
	LegacyPortEnv = "FUNCTIONS_HTTPWORKER_PORT"
)

// TimerPrefix starts the name of every timer function.
const TimerPrefix = "Timer"

// maxEnvelope bounds a payload-mode request body (timer envelopes are a few hundred bytes).
const maxEnvelope = 1 << 20

// Addr returns the listen address: loopback on the port the host gave.
func Addr(getenv func(string) string) string {
	port := getenv(PortEnv)
	if port == "" {
		port = getenv(LegacyPortEnv)
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// Start builds the App and serves the host's requests until ctx is done.
func Start(ctx context.Context, name string, getenv func(string) string, build platform.BuildFunc) error {
	return Run(ctx, Addr(getenv), name, getenv, build, nil)
}

// Run is Start on an explicit address; ready, if not nil, gets the bound address.
func Run(ctx context.Context, addr, name string, getenv func(string) string, build platform.BuildFunc, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("azurefunc: listen %s: %w", addr, err)
	}
	defer ln.Close()
	// The host exposes the function app publicly: this is not a loopback-only server.
	app, err := build(ctx, platform.Env{Getenv: getenv, Platform: Platform, Name: name})
	if err != nil {
		return fmt.Errorf("azurefunc: build %s: %w", name, err)
	}
	if app.Close != nil {
		defer app.Close()
	}
	return local.Serve(ctx, ln, Handler(app), name, ready)
}

// Handler returns the custom handler's http.Handler for app.
func Handler(app platform.App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fn, ok := TimerFunction(r.URL.Path); ok && !fromFrontEnd(r) {
			if r.Method != http.MethodPost {
				w.Header().Set("Allow", http.MethodPost)
				httpio.WriteError(w, r, apierr.E(apierr.MethodNotAllowed, "method_not_allowed", "timer functions are invoked with POST"))
				return
			}
			serveTimer(w, r, app, fn)
			return
		}
		inv := &platform.Invocation{
			Platform:  Platform,
			RequestID: r.Header.Get("X-Azure-Functions-InvocationId"),
			SourceIP:  sourceIP(r),
		}
		app.HTTP.ServeHTTP(w, r.WithContext(platform.NewContext(r.Context(), inv)))
	})
}

// TimerFunction reports whether path is the payload-mode path of a timer function, and its
// name.
func TimerFunction(path string) (string, bool) {
	name, ok := strings.CutPrefix(path, "/")
	if !ok || !strings.HasPrefix(name, TimerPrefix) || len(name) > 128 {
		return "", false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "", false
		}
	}
	return name, true
}

// fromFrontEnd reports whether r came through the public front end (a forwarded HTTP
// request) rather than from the Functions host itself: the front end always adds these
// headers, the host's own payload-mode calls on loopback never carry them. A public request
// to /Timer… (which a catch-all HTTP route could forward) is therefore served by App.HTTP
// (a 404), never taken for a timer invocation.
func fromFrontEnd(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "X-Original-Url", "X-Arr-Log-Id", "Client-Ip", "X-Client-Ip"} {
		if _, ok := r.Header[h]; ok {
			return true
		}
	}
	return false
}

// sourceIP is the caller's address as the front end reports it (the host forwards
// X-Forwarded-For); without it, the peer (the host itself).
func sourceIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		ip, _, _ := strings.Cut(xff, ",")
		ip = strings.TrimSpace(ip)
		// Azure appends the client port: "203.0.113.7:51234".
		if host, _, err := net.SplitHostPort(ip); err == nil {
			return host
		}
		return ip
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return host
}

// Envelope is the payload-mode request.
type Envelope struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// TimerInfo is a timerTrigger binding's input.
type TimerInfo struct {
	Schedule       json.RawMessage `json:"Schedule"`
	ScheduleStatus *struct {
		Last        time.Time `json:"Last"`
		Next        time.Time `json:"Next"`
		LastUpdated time.Time `json:"LastUpdated"`
	} `json:"ScheduleStatus"`
	IsPastDue bool `json:"IsPastDue"`
}

// sysMetadata is Metadata.sys (older hosts only).
type sysMetadata struct {
	MethodName string    `json:"MethodName"`
	UtcNow     time.Time `json:"UtcNow"`   //nolint:revive,staticcheck // wire field name
	RandGuid   string    `json:"RandGuid"` //nolint:revive,staticcheck // wire field name
}

// Result is the payload-mode response.
type Result struct {
	Outputs     map[string]json.RawMessage `json:"Outputs"`
	Logs        []string                   `json:"Logs"`
	ReturnValue json.RawMessage            `json:"ReturnValue"`
}

// DecodeEnvelope decodes a payload-mode request and the timer event it carries.
func DecodeEnvelope(fn string, body []byte) (platform.TimerEvent, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return platform.TimerEvent{}, apierr.Wrap(apierr.Invalid, "invalid_envelope", "azurefunc: the invocation envelope is not valid JSON", err)
	}
	ev := platform.TimerEvent{Platform: Platform, Name: fn}
	var sys sysMetadata
	if raw, ok := env.Metadata["sys"]; ok {
		_ = json.Unmarshal(raw, &sys) // informational only
	}
	found := false
	for _, raw := range env.Data {
		var ti TimerInfo
		if err := json.Unmarshal(raw, &ti); err != nil || len(bytes.TrimSpace(ti.Schedule)) == 0 {
			continue
		}
		found = true
		break
	}
	if !found {
		return ev, apierr.E(apierr.Invalid, "not_a_timer", "azurefunc: "+fn+": the envelope carries no timerTrigger input")
	}
	ev.Time = sys.UtcNow
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	return ev, nil
}

func serveTimer(w http.ResponseWriter, r *http.Request, app platform.App, fn string) {
	body, err := httpio.ReadBody(w, r, maxEnvelope)
	if err != nil {
		writeResult(w, httpio.Status(apierr.KindOf(err)), err)
		return
	}
	ev, err := DecodeEnvelope(fn, body)
	if err != nil {
		writeResult(w, http.StatusBadRequest, err)
		return
	}
	if app.Timer == nil {
		writeResult(w, http.StatusNotFound, apierr.E(apierr.NotFound, "no_timer", "azurefunc: "+fn+": this function app has no timer entry point"))
		return
	}
	inv := &platform.Invocation{Platform: Platform, RequestID: r.Header.Get("X-Azure-Functions-InvocationId"), FunctionName: fn}
	err = func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				slog.Error("azurefunc: panic in timer", "function", fn, "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("azurefunc: timer %s: panic: %v", fn, p)
			}
		}()
		return app.Timer(platform.NewContext(r.Context(), inv), ev)
	}()
	if err != nil {
		slog.Error("azurefunc: timer failed", "function", fn, "err", err)
		writeResult(w, http.StatusInternalServerError, err)
		return
	}
	writeResult(w, http.StatusOK, nil, "kafkafn: timer "+fn+" done")
}

// writeResult answers a payload-mode invocation. On failure the log line is the error's
// public message (it reaches App Insights); the full error was logged by the caller.
func writeResult(w http.ResponseWriter, status int, err error, logs ...string) {
	res := Result{Outputs: map[string]json.RawMessage{}, Logs: append([]string{}, logs...), ReturnValue: json.RawMessage("null")}
	if err != nil {
		res.Logs = append(res.Logs, "kafkafn: "+apierr.CodeOf(err)+": "+apierr.MessageOf(err))
	}
	httpio.WriteJSON(w, status, res)
}
