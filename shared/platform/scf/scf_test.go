package scf_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/rpc"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

func TestMain(m *testing.M) { eventtest.Main(m) }

// serve starts the RPC service on a loopback port and returns a gob client.
func serve(t testing.TB, getenv func(string) string, build platform.BuildFunc) *rpc.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fn := scf.New(ctx, getenv, build)
	done := make(chan error, 1)
	go func() { done <- scf.Serve(ctx, ln, fn) }()
	c, err := rpc.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		fn.Close()
	})
	return c
}

func deadlineIn(d time.Duration) scf.Timestamp {
	t := time.Now().Add(d)
	return scf.Timestamp{Seconds: t.Unix(), Nanos: int64(t.Nanosecond())}
}

func invoke(t testing.TB, c *rpc.Client, req scf.InvokeRequest) scf.InvokeResponse {
	t.Helper()
	var resp scf.InvokeResponse
	if err := c.Call("Function.Invoke", &req, &resp); err != nil {
		t.Fatalf("Function.Invoke: %v", err)
	}
	return resp
}

func httpResp(t testing.TB, resp scf.InvokeResponse) (scf.IntegratedResponse, []byte) {
	t.Helper()
	if resp.Error != nil {
		t.Fatalf("invoke error: %+v", resp.Error)
	}
	var r scf.IntegratedResponse
	if err := json.Unmarshal(resp.Payload, &r); err != nil {
		t.Fatalf("%s: %v", resp.Payload, err)
	}
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			t.Fatal(err)
		}
	}
	return r, body
}

func noenv(string) string { return "" }

func TestPing(t *testing.T) {
	t.Run("Ping answers without building the App", func(t *testing.T) {
		built := false
		c := serve(t, noenv, func(ctx context.Context, env platform.Env) (platform.App, error) {
			built = true
			return echo.Build(ctx, env)
		})
		if err := c.Call("Function.Ping", &scf.PingRequest{}, &scf.PingResponse{}); err != nil {
			t.Fatal(err)
		}
		if built {
			t.Fatal("Ping built the App")
		}
	})
}

func TestAPIGateway(t *testing.T) {
	c := serve(t, noenv, echo.Build)
	dl := deadlineIn(time.Minute)
	tests := []struct {
		name  string
		event string
		check func(t *testing.T, rep echo.Reply)
	}{
		{"a POST with a JSON body reaches the handler with its headers and query", "scf_apigw_post.json", func(t *testing.T, rep echo.Reply) {
			if rep.Method != "POST" || rep.Path != "/echo/value" || rep.Body != `{"test":"body"}` ||
				rep.Query["bob"][0] != "alice" || rep.Host != "service-f94sy04v-1250000000.gz.apigw.tencentcs.com" {
				t.Errorf("got %+v", rep)
			}
			if rep.Invocation == nil || rep.Invocation.RequestID != "req-1" || rep.Invocation.SourceIP != "10.0.2.14" || rep.Invocation.Platform != "scf" {
				t.Errorf("invocation = %+v", rep.Invocation)
			}
			if !rep.HasDeadline || rep.DeadlineMs != time.Unix(dl.Seconds, dl.Nanos).UnixMilli() {
				t.Errorf("deadline = %v %d", rep.HasDeadline, rep.DeadlineMs)
			}
		}},
		{"queryString values may be a string, a list or true", "scf_apigw_query_polymorphic.json", func(t *testing.T, rep echo.Reply) {
			want := map[string][]string{"a": {"1", "2"}, "flag": {""}, "q": {"hello world"}}
			if !reflect.DeepEqual(rep.Query, want) {
				t.Errorf("query = %v", rep.Query)
			}
		}},
		{"a base64 body is decoded", "scf_apigw_base64.json", func(t *testing.T, rep echo.Reply) {
			if rep.BodyBase64 != "AAECA/8=" || rep.Method != "PUT" {
				t.Errorf("got %+v", rep)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: eventtest.Fixture(t, tt.event), RequestId: "req-1", Deadline: dl, FunctionName: "echo"}))
			if r.StatusCode != 200 || r.Headers["Content-Type"] != "application/json" {
				t.Fatalf("response = %+v", r)
			}
			var rep echo.Reply
			if err := json.Unmarshal(body, &rep); err != nil {
				t.Fatal(err)
			}
			tt.check(t, rep)
		})
	}
}

func apigw(method, path string) []byte {
	b, _ := json.Marshal(map[string]any{
		"requestContext": map[string]string{"requestId": "r", "sourceIp": "10.0.0.1"},
		"httpMethod":     method, "path": path, "headers": map[string]string{}, "queryString": map[string]any{},
	})
	return b
}

func TestResponses(t *testing.T) {
	c := serve(t, noenv, echo.Build)
	dl := deadlineIn(time.Minute)
	t.Run("a binary response is base64-encoded", func(t *testing.T) {
		r, body := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: apigw("GET", "/binary"), Deadline: dl}))
		if !r.IsBase64Encoded || len(body) != 256 {
			t.Fatalf("response = %+v", r)
		}
	})
	t.Run("repeated headers are comma-joined", func(t *testing.T) {
		r, _ := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: apigw("GET", "/cookies"), Deadline: dl}))
		if r.StatusCode != 418 || r.Headers["X-Multi"] != "one, two" || r.Headers["Set-Cookie"] != "a=1" {
			t.Fatalf("response = %+v", r)
		}
	})
	t.Run("a panicking handler is a JSON 500 and the process keeps serving", func(t *testing.T) {
		r, _ := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: apigw("GET", "/panic"), Deadline: dl}))
		if r.StatusCode != 500 {
			t.Fatalf("response = %+v", r)
		}
		if r, _ := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: apigw("GET", "/echo/x"), Deadline: dl})); r.StatusCode != 200 {
			t.Fatalf("after panic: %+v", r)
		}
	})
	t.Run("a response over 6 MB is response_too_large", func(t *testing.T) {
		b, _ := json.Marshal(map[string]any{
			"requestContext": map[string]string{"requestId": "r"}, "httpMethod": "GET", "path": "/big",
			"queryString": map[string]any{"n": "7000000"},
		})
		r, _ := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: b, Deadline: dl}))
		if r.StatusCode != 500 || !strings.Contains(r.Body, "response_too_large") {
			t.Fatalf("status %d body %.200s", r.StatusCode, r.Body)
		}
	})
	t.Run("an unknown event is an invoke error", func(t *testing.T) {
		resp := invoke(t, c, scf.InvokeRequest{Payload: []byte(`{"Records":[]}`), Deadline: dl})
		if resp.Error == nil || resp.Error.ShouldExit || !strings.Contains(resp.Error.Message, "neither") {
			t.Fatalf("resp = %+v", resp.Error)
		}
	})
	t.Run("an invalid queryString value is a 400", func(t *testing.T) {
		b := []byte(`{"requestContext":{},"httpMethod":"GET","path":"/echo/x","queryString":{"a":3}}`)
		r, _ := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: b, Deadline: dl}))
		if r.StatusCode != 400 {
			t.Fatalf("response = %+v", r)
		}
	})
}

func TestDeadline(t *testing.T) {
	c := serve(t, noenv, echo.Build)
	reply := func(t *testing.T, req scf.InvokeRequest) echo.Reply {
		req.Payload = apigw("GET", "/echo/deadline")
		_, body := httpResp(t, invoke(t, c, req))
		var rep echo.Reply
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	t.Run("a zero Deadline falls back to TimeLimitInMs", func(t *testing.T) {
		before := time.Now()
		rep := reply(t, scf.InvokeRequest{TimeLimitInMs: 3000})
		if !rep.HasDeadline || rep.DeadlineMs < before.Add(3*time.Second).UnixMilli() || rep.DeadlineMs > time.Now().Add(3*time.Second).UnixMilli() {
			t.Fatalf("deadline = %v %d", rep.HasDeadline, rep.DeadlineMs)
		}
	})
	t.Run("no Deadline and no TimeLimitInMs means no deadline", func(t *testing.T) {
		if rep := reply(t, scf.InvokeRequest{}); rep.HasDeadline {
			t.Fatalf("deadline = %d", rep.DeadlineMs)
		}
	})
}

func TestEnvironment(t *testing.T) {
	t.Run("the first invoke's Environment overlays the process environment, once", func(t *testing.T) {
		proc := map[string]string{"ECHO_ENV": "KAFKA_BROKERS", "KAFKA_BROKERS": "process:9092"}
		c := serve(t, func(k string) string { return proc[k] }, echo.Build)
		reply := func(env string) echo.Reply {
			_, body := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: apigw("GET", "/echo/env"), Deadline: deadlineIn(time.Minute), Environment: env}))
			var rep echo.Reply
			if err := json.Unmarshal(body, &rep); err != nil {
				t.Fatal(err)
			}
			return rep
		}
		if rep := reply(`{"KAFKA_BROKERS":"invoke:9092"}`); rep.Env != "invoke:9092" {
			t.Fatalf("env = %q", rep.Env)
		}
		if rep := reply(`{"KAFKA_BROKERS":"other:9092"}`); rep.Env != "invoke:9092" {
			t.Fatalf("the App was rebuilt: env = %q", rep.Env)
		}
		if os.Getenv("KAFKA_BROKERS") == "invoke:9092" {
			t.Fatal("the process environment was modified")
		}
	})
	t.Run("a failing build is reported with ShouldExit", func(t *testing.T) {
		c := serve(t, noenv, echo.Build)
		resp := invoke(t, c, scf.InvokeRequest{Payload: apigw("GET", "/echo/x"), Deadline: deadlineIn(time.Minute), Environment: `{"ECHO_FAIL_BUILD":"true"}`})
		if resp.Error == nil || !resp.Error.ShouldExit || !strings.Contains(resp.Error.Message, "scf: build") {
			t.Fatalf("resp = %+v", resp.Error)
		}
	})
	t.Run("an Environment that is not a JSON object is reported", func(t *testing.T) {
		c := serve(t, noenv, echo.Build)
		resp := invoke(t, c, scf.InvokeRequest{Payload: apigw("GET", "/echo/x"), Deadline: deadlineIn(time.Minute), Environment: `[1]`})
		if resp.Error == nil || !strings.Contains(resp.Error.Message, "Environment") {
			t.Fatalf("resp = %+v", resp.Error)
		}
	})
}

func TestTimer(t *testing.T) {
	dl := deadlineIn(time.Minute)
	last := func(t *testing.T, c *rpc.Client) echo.Timer {
		_, body := httpResp(t, invoke(t, c, scf.InvokeRequest{Payload: apigw("GET", "/timer/last"), Deadline: dl}))
		var tm echo.Timer
		if err := json.Unmarshal(body, &tm); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return tm
	}
	t.Run("a timer trigger reaches App.Timer with its name, time and Message", func(t *testing.T) {
		c := serve(t, noenv, echo.Build)
		resp := invoke(t, c, scf.InvokeRequest{Payload: eventtest.Fixture(t, "scf_timer.json"), Deadline: dl, RequestId: "t-1"})
		if resp.Error != nil {
			t.Fatal(resp.Error.Message)
		}
		tm := last(t, c)
		if tm.Platform != "scf" || tm.Name != "EveryDay" || tm.Payload != `{"topic":"orders"}` ||
			!tm.Time.Equal(time.Date(2019, 2, 21, 11, 49, 0, 0, time.UTC)) || tm.Inv.RequestID != "t-1" {
			t.Fatalf("timer = %+v", tm)
		}
	})
	t.Run("Type is compared case-insensitively", func(t *testing.T) {
		c := serve(t, noenv, echo.Build)
		if resp := invoke(t, c, scf.InvokeRequest{Payload: eventtest.Fixture(t, "scf_timer_lowercase.json"), Deadline: dl}); resp.Error != nil {
			t.Fatal(resp.Error.Message)
		}
		if tm := last(t, c); tm.Name != "every-5-min" || tm.Payload != "" {
			t.Fatalf("timer = %+v", tm)
		}
	})
	t.Run("a failing timer is reported in InvokeResponse.Error", func(t *testing.T) {
		c := serve(t, noenv, echo.Build)
		resp := invoke(t, c, scf.InvokeRequest{Payload: []byte(`{"Type":"Timer","Message":"{\"fail\":true}"}`), Deadline: dl})
		if resp.Error == nil || resp.Error.ShouldExit {
			t.Fatalf("resp = %+v", resp.Error)
		}
	})
	t.Run("a panicking timer is reported with ShouldExit", func(t *testing.T) {
		c := serve(t, noenv, echo.Build)
		resp := invoke(t, c, scf.InvokeRequest{Payload: []byte(`{"Type":"Timer","Message":"{\"panic\":true}"}`), Deadline: dl})
		if resp.Error == nil || !resp.Error.ShouldExit {
			t.Fatalf("resp = %+v", resp.Error)
		}
	})
	t.Run("a timer event for an HTTP-only function is an error", func(t *testing.T) {
		c := serve(t, noenv, echo.BuildHTTPOnly)
		resp := invoke(t, c, scf.InvokeRequest{Payload: eventtest.Fixture(t, "scf_timer.json"), Deadline: dl})
		if resp.Error == nil || resp.Error.Type != "no_timer" {
			t.Fatalf("resp = %+v", resp.Error)
		}
	})
}

func FuzzQueryString(f *testing.F) {
	for _, s := range []string{`{"a":"1"}`, `{"a":["1","2"]}`, `{"flag":true}`, `{"a":3}`, `null`, `{"a":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var q scf.QueryString
		if err := json.Unmarshal(b, &q); err != nil {
			return
		}
		_ = q.Encode()
	})
}

func FuzzInvoke(f *testing.F) {
	for _, name := range []string{"scf_apigw_post.json", "scf_apigw_query_polymorphic.json", "scf_apigw_base64.json", "scf_timer.json"} {
		f.Add(eventtest.Fixture(f, name))
	}
	c := serve(f, noenv, echo.BuildHTTPOnly)
	f.Fuzz(func(t *testing.T, payload []byte) {
		resp := invoke(t, c, scf.InvokeRequest{Payload: payload, Deadline: deadlineIn(time.Second)})
		if resp.Error == nil && !json.Valid(resp.Payload) {
			t.Fatalf("invalid JSON payload %q", resp.Payload)
		}
		if resp.Error != nil && resp.Error.ShouldExit {
			t.Fatalf("ShouldExit for %q: %s", payload, resp.Error.Message)
		}
	})
}

func BenchmarkInvokeAPIGateway(b *testing.B) {
	c := serve(b, noenv, echo.Build)
	req := scf.InvokeRequest{Payload: eventtest.Fixture(b, "scf_apigw_post.json"), Deadline: deadlineIn(time.Hour)}
	b.ReportAllocs()
	for b.Loop() {
		invoke(b, c, req)
	}
}
