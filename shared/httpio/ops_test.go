package httpio_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/metrics"
	"github.com/kafkafn/kafkafn/shared/metrics/metricstest"
	"github.com/kafkafn/kafkafn/shared/platform"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// opsServer serves a small mux behind Serve; when inv is set, every request carries that
// invocation, as the platform adapters hand it over.
func opsServer(t *testing.T, inv *platform.Invocation, opts ...httpio.Option) (*httptest.Server, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	handlerLog := slog.New(httpio.NewLogHandler(slog.NewJSONHandler(logs, nil)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{topic}", func(w http.ResponseWriter, r *http.Request) {
		handlerLog.InfoContext(r.Context(), "handler line")
		trace := map[string]string{}
		for _, h := range httpio.TraceHeaders(r.Context()) {
			trace[h.Key] = h.Value
		}
		httpio.WriteJSON(w, http.StatusOK, map[string]any{"request_id": httpio.RequestID(r.Context()), "trace": trace})
	})
	mux.HandleFunc("POST /v1/things/{topic}", func(w http.ResponseWriter, r *http.Request) {
		httpio.NoteProduced(r, 3, 30, 0)
		httpio.WriteError(w, r, apierr.E(apierr.Unavailable, "kafka_unavailable", "no broker answers"))
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	var h http.Handler = httpio.Serve(mux, log, opts...)
	if inv != nil {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, r.WithContext(platform.NewContext(r.Context(), inv)))
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, logs
}

func TestRequestID(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		name     string
		inv      *platform.Invocation
		clientID string
		want     string // "" = a new UUID
	}{
		{name: "none given: a new UUID", want: ""},
		{name: "a valid client id is kept", clientID: "abc-123_x.y:z=+/@", want: "abc-123_x.y:z=+/@"},
		{name: "a client id with a space is replaced", clientID: "a b", want: ""},
		{name: "a client id with markup is replaced", clientID: "<script>", want: ""},
		{name: "a client id over 128 characters is replaced", clientID: long, want: ""},
		{name: "the platform's invocation id wins", inv: &platform.Invocation{Platform: "aws", RequestID: "c6af9ac6-7b61-11e6-9a41-93e812345678"},
			clientID: "mine", want: "c6af9ac6-7b61-11e6-9a41-93e812345678"},
		{name: "an unusable platform id falls back to the client's", inv: &platform.Invocation{RequestID: "bad id\n"}, clientID: "mine", want: "mine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, logs := opsServer(t, tt.inv)
			hdr := map[string]string{}
			if tt.clientID != "" {
				hdr["X-Request-Id"] = tt.clientID
			}
			check := func(where, id string) {
				t.Helper()
				if tt.want == "" && !uuidV4.MatchString(id) || tt.want != "" && id != tt.want {
					t.Errorf("%s: request id %q, want %q", where, id, tt.want)
				}
			}
			// A success, the mux's 404 and 405, a handler's error and a panic.
			res, body := loopback.Do(t, "GET", srv.URL+"/v1/things/a", nil, hdr)
			var ok struct {
				RequestID string `json:"request_id"`
			}
			_ = json.Unmarshal(body, &ok)
			check("header", res.Header.Get("X-Request-Id"))
			if ok.RequestID != res.Header.Get("X-Request-Id") {
				t.Errorf("httpio.RequestID %q != header %q", ok.RequestID, res.Header.Get("X-Request-Id"))
			}
			for _, c := range []struct {
				method, path string
				status       int
			}{{"GET", "/nowhere", 404}, {"DELETE", "/v1/things/a", 405}, {"POST", "/v1/things/a", 503}, {"GET", "/panic", 500}} {
				res, body := loopback.Do(t, c.method, srv.URL+c.path, nil, hdr)
				var eb httpio.ErrorBody
				if err := json.Unmarshal(body, &eb); err != nil || res.StatusCode != c.status {
					t.Fatalf("%s %s: %d %s", c.method, c.path, res.StatusCode, body)
				}
				check(c.method+" "+c.path+" body", eb.Error.RequestID)
				if eb.Error.RequestID != res.Header.Get("X-Request-Id") {
					t.Errorf("%s %s: body %q, header %q", c.method, c.path, eb.Error.RequestID, res.Header.Get("X-Request-Id"))
				}
			}
			// Every log line of a request carries its id: Serve's own, and the handler's.
			var lines int
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
				id, _ := rec["request_id"].(string)
				check("log line "+line, id)
				if tt.clientID != "" && strings.Contains(line, tt.clientID) && tt.want != tt.clientID && !validClient(tt.clientID) {
					t.Errorf("an invalid client id reached the log: %s", line)
				}
				lines++
			}
			if lines < 7 { // 5 request lines, the handler line, the panic line
				t.Errorf("%d log lines:\n%s", lines, logs.String())
			}
		})
	}
}

func validClient(id string) bool { return httpio.ValidRequestID(id) }

func TestRequestIDsDiffer(t *testing.T) {
	srv, _ := opsServer(t, nil)
	a, _ := loopback.Do(t, "GET", srv.URL+"/v1/things/a", nil, nil)
	b, _ := loopback.Do(t, "GET", srv.URL+"/v1/things/a", nil, nil)
	if a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
		t.Fatal("two requests got the same generated id")
	}
}

func TestTraceContext(t *testing.T) {
	const (
		tp   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		ts   = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
		xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	)
	tests := []struct {
		name   string
		inv    *platform.Invocation
		header map[string]string
		off    bool
		want   map[string]string
	}{
		{name: "traceparent and tracestate", header: map[string]string{"traceparent": tp, "tracestate": ts},
			want: map[string]string{"traceparent": tp, "tracestate": ts}},
		{name: "upper-case hex is invalid: both ignored", header: map[string]string{"traceparent": strings.ToUpper(tp), "tracestate": ts},
			want: map[string]string{}},
		{name: "an all-zero trace id is invalid", header: map[string]string{"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
			want: map[string]string{}},
		{name: "an invalid tracestate alone is dropped", header: map[string]string{"traceparent": tp, "tracestate": "Bad Key=1"},
			want: map[string]string{"traceparent": tp}},
		{name: "TRACE_PROPAGATION=false", header: map[string]string{"traceparent": tp}, off: true, want: map[string]string{}},
		{name: "the X-Ray header of a Lambda invocation", inv: &platform.Invocation{Platform: "aws", RequestID: "r", TraceID: xray},
			header: map[string]string{"traceparent": tp}, want: map[string]string{"traceparent": tp, "X-Amzn-Trace-Id": xray}},
		{name: "a client cannot set the X-Ray record header", header: map[string]string{"X-Amzn-Trace-Id": xray}, want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, logs := opsServer(t, tt.inv, httpio.WithOps(httpio.Ops{TracePropagation: !tt.off}, nil))
			_, body := loopback.Do(t, "GET", srv.URL+"/v1/things/a", nil, tt.header)
			var got struct{ Trace map[string]string }
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Trace) != len(tt.want) {
				t.Fatalf("trace headers %v, want %v", got.Trace, tt.want)
			}
			for k, v := range tt.want {
				if got.Trace[k] != v {
					t.Fatalf("trace headers %v, want %v", got.Trace, tt.want)
				}
			}
			if _, ok := tt.want["traceparent"]; ok && !strings.Contains(logs.String(), `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`) {
				t.Errorf("the handler's log line has no trace_id:\n%s", logs.String())
			}
		})
	}
	t.Run("two traceparent headers are ignored", func(t *testing.T) {
		srv, _ := opsServer(t, nil)
		req, _ := http.NewRequest("GET", srv.URL+"/v1/things/a", nil)
		req.Header.Add("traceparent", tp)
		req.Header.Add("traceparent", tp)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if strings.Contains(string(b), tp) {
			t.Fatalf("%s", b)
		}
	})
}

func TestCORS(t *testing.T) {
	const app = "https://app.example.com"
	exact := httpio.Ops{CORSOrigins: []string{app}}
	creds := httpio.Ops{CORSOrigins: []string{app}, CORSCredentials: true}
	anyOrigin := httpio.Ops{CORSOrigins: []string{"*"}}
	preflight := func(origin, method string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "authorization,content-type"}
	}
	tests := []struct {
		name        string
		ops         *httpio.Ops // nil: no WithOps (CORS off)
		method      string
		path        string
		header      map[string]string
		status      int
		allowOrigin string
		allowCreds  bool
		methods     string
	}{
		{name: "a preflight for a documented route", ops: &exact, method: "OPTIONS", path: "/v1/things/a", header: preflight(app, "POST"),
			status: 204, allowOrigin: app, methods: "GET,POST"},
		{name: "credentials only when configured", ops: &creds, method: "OPTIONS", path: "/v1/things/a", header: preflight(app, "GET"),
			status: 204, allowOrigin: app, allowCreds: true, methods: "GET,POST"},
		{name: "a preflight from another origin gets no CORS headers", ops: &exact, method: "OPTIONS", path: "/v1/things/a",
			header: preflight("https://evil.example", "POST"), status: 405},
		{name: "a preflight for an undocumented method", ops: &exact, method: "OPTIONS", path: "/v1/things/a", header: preflight(app, "DELETE"), status: 405},
		{name: "a preflight for an unknown path", ops: &exact, method: "OPTIONS", path: "/v2/nothing", header: preflight(app, "GET"), status: 404},
		{name: "the wildcard never allows credentials", ops: &anyOrigin, method: "OPTIONS", path: "/v1/things/a", header: preflight("https://x.example", "GET"),
			status: 204, allowOrigin: "*", methods: "GET,POST"},
		{name: "a simple request from an allowed origin", ops: &exact, method: "GET", path: "/v1/things/a", header: map[string]string{"Origin": app},
			status: 200, allowOrigin: app},
		{name: "an error answer carries the CORS headers too", ops: &exact, method: "POST", path: "/v1/things/a", header: map[string]string{"Origin": app},
			status: 503, allowOrigin: app},
		{name: "a simple request from another origin", ops: &exact, method: "GET", path: "/v1/things/a", header: map[string]string{"Origin": "https://evil.example"},
			status: 200},
		{name: "off by default", method: "OPTIONS", path: "/v1/things/a", header: preflight(app, "GET"), status: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []httpio.Option
			if tt.ops != nil {
				opts = append(opts, httpio.WithOps(*tt.ops, nil))
			}
			srv, _ := opsServer(t, nil, opts...)
			res, body := loopback.Do(t, tt.method, srv.URL+tt.path, nil, tt.header)
			h := res.Header
			if res.StatusCode != tt.status || h.Get("Access-Control-Allow-Origin") != tt.allowOrigin ||
				(h.Get("Access-Control-Allow-Credentials") == "true") != tt.allowCreds ||
				h.Get("Access-Control-Allow-Methods") != tt.methods {
				t.Fatalf("%d %v %s", res.StatusCode, h, body)
			}
			vary := strings.Join(h.Values("Vary"), ",")
			if tt.ops != nil && !strings.Contains(vary, "Origin") {
				t.Errorf("no Vary: Origin: %v", h)
			}
			if tt.ops == nil && (vary != "" || h.Get("Access-Control-Allow-Origin") != "") {
				t.Errorf("CORS headers while CORS is off: %v", h)
			}
			if tt.status == 204 {
				if !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || h.Get("Access-Control-Max-Age") == "" {
					t.Errorf("%v", h)
				}
			}
			if tt.allowOrigin != "" && tt.status != 204 && !strings.Contains(h.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
				t.Errorf("X-Request-Id is not exposed: %v", h)
			}
		})
	}
}

func TestServeCountsMetrics(t *testing.T) {
	reg := metrics.New(metrics.Options{Mode: metrics.ModePrometheus})
	srv, _ := opsServer(t, nil, httpio.WithOps(httpio.Ops{}, reg))
	loopback.Do(t, "GET", srv.URL+"/v1/things/a", nil, nil)
	loopback.Do(t, "POST", srv.URL+"/v1/things/a", nil, nil)
	loopback.Do(t, "GET", srv.URL+"/nowhere", nil, nil)
	loopback.Do(t, "GET", srv.URL+"/panic", nil, nil)
	var buf bytes.Buffer
	reg.WritePrometheus(&buf)
	if _, err := metricstest.ParsePrometheus(buf.String()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`kafkafn_http_requests_total{route="GET /v1/things/{topic}",status="200"} 1`,
		`kafkafn_http_errors_total{route="POST /v1/things/{topic}",code="kafka_unavailable"} 1`,
		`kafkafn_records_produced_total{route="POST /v1/things/{topic}"} 3`,
		`kafkafn_http_errors_total{route="unmatched",code="route_not_found"} 1`,
		`kafkafn_http_requests_total{route="GET /panic",status="500"} 1`,
	} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("no %s in\n%s", want, buf.String())
		}
	}
	t.Run("GET /metrics answers metrics_disabled without a Prometheus registry", func(t *testing.T) {
		rec := httptest.NewRecorder()
		httpio.MetricsHandler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), "metrics_disabled") {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
}

func TestNewLogHandlerWrapsOnce(t *testing.T) {
	h := httpio.NewLogHandler(slog.NewJSONHandler(io.Discard, nil))
	if httpio.NewLogHandler(h) != h {
		t.Fatal("wrapping twice would log request_id twice")
	}
}

func FuzzValidRequestID(f *testing.F) {
	f.Add("c6af9ac6-7b61-11e6-9a41-93e812345678")
	f.Add("Mc7UVioPPHcEKPA=")
	f.Add("a b\n")
	f.Fuzz(func(t *testing.T, id string) {
		if !httpio.ValidRequestID(id) {
			return
		}
		if len(id) > 128 || strings.ContainsAny(id, " \t\r\n\"'<>\\,;") {
			t.Fatalf("accepted %q", id)
		}
	})
}
