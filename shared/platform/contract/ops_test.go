package contract_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/metrics/metricstest"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

const (
	traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	xrayTrace   = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" // the fake runtime's
)

// idAnswer is one answer as a platform hands it back: status, the X-Request-Id header and
// the body.
type idAnswer struct {
	status int
	header string
	body   string
}

// checkIDs asserts that a success and the error paths (the mux's 404, a panic) carry want
// (or, for want == "uuid", one generated UUID per request) in the X-Request-Id header, in
// the echo handler's httpio.RequestID and in error.request_id.
func checkIDs(t *testing.T, want string, do func(t *testing.T, method, path string, header map[string]string) idAnswer) {
	t.Helper()
	match := func(id string) bool {
		if want == "uuid" {
			return uuidRE.MatchString(id)
		}
		return id == want
	}
	ok := do(t, "GET", "/echo/ids", map[string]string{"X-Request-Id": "client-7"})
	var rep echo.Reply
	if err := json.Unmarshal([]byte(ok.body), &rep); err != nil || ok.status != 200 {
		t.Fatalf("%d %s", ok.status, ok.body)
	}
	if (want != "client-7" && !match(ok.header)) || (want == "client-7" && ok.header != "client-7") || rep.RequestID != ok.header {
		t.Fatalf("X-Request-Id %q, handler saw %q, want %q", ok.header, rep.RequestID, want)
	}
	for _, path := range []string{"/nowhere", "/panic"} {
		a := do(t, "GET", path, nil)
		var eb struct {
			Error struct {
				Code      string `json:"code"`
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(a.body), &eb); err != nil || a.status < 400 {
			t.Fatalf("%s: %d %s", path, a.status, a.body)
		}
		wantID := want
		if want == "client-7" {
			wantID = "uuid" // these requests send no X-Request-Id
		}
		if eb.Error.RequestID != a.header || (wantID == "uuid" && !uuidRE.MatchString(a.header)) || (wantID != "uuid" && a.header != wantID) {
			t.Errorf("%s: error.request_id %q, X-Request-Id %q, want %q", path, eb.Error.RequestID, a.header, wantID)
		}
	}
}

func TestRequestIDsThroughEveryAdapter(t *testing.T) {
	bin := binary(t, testapp)
	t.Run("local: a valid client X-Request-Id is kept, else one is generated", func(t *testing.T) {
		p, base := startLocal(t, bin)
		do := func(t *testing.T, method, path string, header map[string]string) idAnswer {
			status, h, b := httpDo(t, method, base+path, nil, header)
			return idAnswer{status, h.Get("X-Request-Id"), string(b)}
		}
		checkIDs(t, "client-7", do)
		if a := do(t, "GET", "/echo/x", map[string]string{"X-Request-Id": "bad id <x>"}); !uuidRE.MatchString(a.header) {
			t.Errorf("an invalid client id was kept: %q", a.header)
		}
		waitFor(t, p, `"request_id":"client-7"`) // the request log line
	})
	t.Run("AWS Lambda: the invocation's request id, and the X-Ray header for records", func(t *testing.T) {
		rt := newFakeRuntime(t)
		p := start(t, bin, "AWS_LAMBDA_RUNTIME_API="+rt.Addr(), "AWS_LAMBDA_FUNCTION_NAME=testapp")
		var last string
		do := func(t *testing.T, method, path string, header map[string]string) idAnswer {
			before := rt.seq.Load()
			r := rt.invokeHTTP(t, p, v2Event(method, path, "", "", lower(header)))
			last = "req-" + itoa(before+1)
			return idAnswer{r.StatusCode, r.Headers["X-Request-Id"], decodeBody(t, r)}
		}
		// Each invocation has its own id; checkIDs compares against the current one.
		a := do(t, "GET", "/echo/x", map[string]string{"X-Request-Id": "client-7", "traceparent": traceParent})
		var rep echo.Reply
		if err := json.Unmarshal([]byte(a.body), &rep); err != nil {
			t.Fatal(err)
		}
		if a.header != last || rep.RequestID != last {
			t.Fatalf("X-Request-Id %q, handler %q, want the invocation id %q", a.header, rep.RequestID, last)
		}
		if rep.Trace["X-Amzn-Trace-Id"] != xrayTrace || rep.Trace["traceparent"] != traceParent {
			t.Fatalf("trace headers for records %v", rep.Trace)
		}
		for _, path := range []string{"/nowhere", "/panic", "/big?n=6400000"} {
			p2, q := splitQuery(path)
			before := rt.seq.Load()
			r := rt.invokeHTTP(t, p, v2Event("GET", p2, q, "", nil))
			id := "req-" + itoa(before+1)
			var eb struct {
				Error struct {
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(decodeBody(t, r)), &eb); err != nil || eb.Error.RequestID != id || r.Headers["X-Request-Id"] != id {
				t.Errorf("%s: %d header %q body %.300s, want %s", path, r.StatusCode, r.Headers["X-Request-Id"], r.Body, id)
			}
		}
		// EMF lines on stdout, one per request, carrying the invocation's id.
		line := waitFor(t, p, `"request_id":"`+last+`"`, `{"_aws"`)
		e, err := metricstest.ParseEMF(line)
		if err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if e.Root["Route"] != "/echo/" || e.Root["Function"] != "testapp" || e.Number("Requests") != 1 {
			t.Errorf("%s", line)
		}
		if l := waitFor(t, p, `"ErrorCode":"route_not_found"`, `{"_aws"`); l == "" {
			t.Error("no EMF line for the 404")
		}
	})
	t.Run("SCF event function: the InvokeRequest's RequestId", func(t *testing.T) {
		s := startSCF(t, bin, nil)
		checkIDs(t, "scf-req-1", func(t *testing.T, method, path string, header map[string]string) idAnswer {
			r := s.invokeHTTP(t, scfEvent(method, path, nil, "", lower(header)))
			return idAnswer{r.StatusCode, r.Headers["X-Request-Id"], decodeBody(t, r)}
		})
	})
	t.Run("Azure custom handler: X-Azure-Functions-InvocationId", func(t *testing.T) {
		_, base := startAzure(t, bin, "FUNCTIONS_CUSTOMHANDLER_PORT")
		const inv = "3f1c9a40-0000-4000-8000-000000000009"
		checkIDs(t, inv, func(t *testing.T, method, path string, header map[string]string) idAnswer {
			h := map[string]string{"X-Azure-Functions-InvocationId": inv, "X-Forwarded-For": "203.0.113.7:50123"}
			for k, v := range header {
				h[k] = v
			}
			status, hdr, b := httpDo(t, method, base+path, nil, h)
			return idAnswer{status, hdr.Get("X-Request-Id"), string(b)}
		})
	})
}

func TestMetricsAndCORSThroughTheBinaries(t *testing.T) {
	bin := binary(t, testapp)
	t.Run("local: GET /metrics is Prometheus text by default", func(t *testing.T) {
		_, base := startLocal(t, bin)
		httpDo(t, "GET", base+"/echo/a", nil, nil)
		httpDo(t, "GET", base+"/nowhere", nil, nil)
		status, h, body := httpDo(t, "GET", base+"/metrics", nil, nil)
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("%d %v %s", status, h, body)
		}
		fams, err := metricstest.ParsePrometheus(string(body))
		if err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		if f := fams["kafkafn_http_requests_total"]; f == nil || !strings.Contains(string(body), `kafkafn_http_requests_total{route="/echo/",status="200"} 1`) {
			t.Fatalf("%s", body)
		}
	})
	t.Run("Azure: GET /metrics is off by default, on with METRICS=prometheus", func(t *testing.T) {
		_, base := startAzure(t, bin, "FUNCTIONS_CUSTOMHANDLER_PORT")
		if status, _, body := httpDo(t, "GET", base+"/metrics", nil, nil); status != 404 || !strings.Contains(string(body), "metrics_disabled") {
			t.Fatalf("%d %s", status, body)
		}
		_, base = startAzure(t, bin, "FUNCTIONS_CUSTOMHANDLER_PORT", "METRICS=prometheus")
		status, _, body := httpDo(t, "GET", base+"/metrics", nil, nil)
		if _, err := metricstest.ParsePrometheus(string(body)); status != 200 || err != nil {
			t.Fatalf("%d %v %s", status, err, body)
		}
	})
	t.Run("a bad METRICS value stops the binary naming the variable", func(t *testing.T) {
		p := start(t, bin, "ADDR=127.0.0.1:"+loopback.FreePort(t), "METRICS=statsd")
		select {
		case err := <-p.done:
			p.done <- err
			if err == nil || !strings.Contains(p.out.String(), "METRICS") {
				t.Fatalf("exit %v: %s", err, p.out.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the binary started with METRICS=statsd")
		}
	})
	t.Run("CORS through the Lambda adapter: preflight and actual request", func(t *testing.T) {
		rt := newFakeRuntime(t)
		p := start(t, bin, "AWS_LAMBDA_RUNTIME_API="+rt.Addr(), "HTTP_CORS_ORIGINS=https://app.example.com")
		pre := rt.invokeHTTP(t, p, v2Event("OPTIONS", "/echo/x", "", "", map[string]string{
			"origin": "https://app.example.com", "access-control-request-method": "POST"}))
		if pre.StatusCode != 204 || pre.Headers["Access-Control-Allow-Origin"] != "https://app.example.com" ||
			!strings.Contains(pre.Headers["Access-Control-Allow-Methods"], "POST") {
			t.Fatalf("%+v", pre)
		}
		act := rt.invokeHTTP(t, p, v2Event("GET", "/echo/x", "", "", map[string]string{"origin": "https://app.example.com"}))
		if act.StatusCode != 200 || act.Headers["Access-Control-Allow-Origin"] != "https://app.example.com" || !strings.Contains(act.Headers["Vary"], "Origin") {
			t.Fatalf("%+v", act.Headers)
		}
		other := rt.invokeHTTP(t, p, v2Event("OPTIONS", "/echo/x", "", "", map[string]string{
			"origin": "https://evil.example", "access-control-request-method": "POST"}))
		if other.Headers["Access-Control-Allow-Origin"] != "" {
			t.Fatalf("%+v", other.Headers)
		}
	})
}

// waitFor waits until the process output has a line containing all of subs and returns it.
func waitFor(t *testing.T, p *proc, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(p.out.String(), "\n") {
			all := true
			for _, s := range subs {
				if !strings.Contains(line, s) {
					all = false
					break
				}
			}
			if all {
				return line
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no output line with %q:\n%s", subs, p.out.String())
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestMetricsOffOnAPublicLocalServer(t *testing.T) {
	// scf_bootstrap starts a web function as ADDR=0.0.0.0:9000: a public server.
	port := loopback.FreePort(t)
	p := start(t, binary(t, testapp), "ADDR=0.0.0.0:"+port)
	waitDial(t, p, "127.0.0.1:"+port)
	if status, _, body := httpDo(t, "GET", "http://127.0.0.1:"+port+"/metrics", nil, nil); status != 404 || !strings.Contains(string(body), "metrics_disabled") {
		t.Fatalf("%d %s", status, body)
	}
}
