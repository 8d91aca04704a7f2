package awslambda_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/awslambda"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
)

func newHandler(t testing.TB, build platform.BuildFunc) *awslambda.Handler {
	t.Helper()
	app, err := build(context.Background(), platform.Env{Getenv: func(string) string { return "" }, Platform: "aws"})
	if err != nil {
		t.Fatal(err)
	}
	return awslambda.New(app)
}

func invokeCtx(t testing.TB, deadline time.Time) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
}

// response is the union of the three HTTP response shapes.
type response = eventtest.HTTPResponse

func invokeHTTP(t testing.TB, h *awslambda.Handler, event []byte, deadline time.Time) response {
	t.Helper()
	out, err := h.Invoke(invokeCtx(t, deadline), event)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var r response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return r
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		event string
		want  awslambda.Kind
	}{
		{"an HTTP API v2 event is recognised by requestContext.http", "aws_httpapi_v2_post.json", awslambda.KindHTTPV2},
		{"a Function URL event is an HTTP API v2 event", "aws_function_url_get.json", awslambda.KindHTTPV2},
		{"a REST API event is recognised by httpMethod and requestContext", "aws_rest_v1_multivalue.json", awslambda.KindREST},
		{"an ALB event is recognised by requestContext.elb", "aws_alb_single.json", awslambda.KindALB},
		{"an EventBridge schedule is recognised by its detail-type", "aws_schedule.json", awslambda.KindSchedule},
		{"a schedule's constant input is a timer event", "aws_schedule_input.json", awslambda.KindTimer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := awslambda.Detect(eventtest.Fixture(t, tt.event))
			if err != nil || got != tt.want {
				t.Fatalf("Detect = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	t.Run("a JSON string or array is timer input too", func(t *testing.T) {
		for _, ev := range []string{`"orders"`, `[1,2]`, `null`, `{"httpMethod":3}`} {
			if got, err := awslambda.Detect([]byte(ev)); err != nil || got != awslambda.KindTimer {
				t.Errorf("Detect(%s) = %v, %v", ev, got, err)
			}
		}
	})
	t.Run("invalid JSON is an error", func(t *testing.T) {
		if _, err := awslambda.Detect([]byte(`{"a":`)); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestHTTPEvents(t *testing.T) {
	h := newHandler(t, echo.Build)
	deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	tests := []struct {
		name  string
		event string
		check func(t *testing.T, r response, rep echo.Reply)
	}{
		{"an HTTP API v2 POST keeps its escaped path, repeated query keys, cookies and base64 body", "aws_httpapi_v2_post.json",
			func(t *testing.T, r response, rep echo.Reply) {
				want := echo.Reply{Method: "POST", Path: "/echo/topics/orders/eu", EscapedPath: "/echo/topics/orders%2Feu",
					Body: `{"records":[{"value":"hello"}]}`, Host: "abc123.execute-api.eu-west-1.amazonaws.com", RemoteAddr: "203.0.113.7:0"}
				if rep.Method != want.Method || rep.Path != want.Path || rep.EscapedPath != want.EscapedPath ||
					rep.Body != want.Body || rep.Host != want.Host || rep.RemoteAddr != want.RemoteAddr {
					t.Errorf("got %+v", rep)
				}
				if q := rep.Query; !reflect.DeepEqual(q["a"], []string{"1", "2"}) || q["q"][0] != "hello world" || len(q["flag"]) != 1 {
					t.Errorf("query = %v", q)
				}
				if got := rep.Header["Cookie"]; len(got) != 1 || got[0] != "session=abc; theme=dark" {
					t.Errorf("Cookie = %q", got)
				}
				if rep.Invocation == nil || rep.Invocation.RequestID != "req-1" || rep.Invocation.SourceIP != "203.0.113.7" || rep.Invocation.Platform != "aws" {
					t.Errorf("invocation = %+v", rep.Invocation)
				}
			}},
		{"a Function URL GET carries an IPv6 source and the invoke deadline", "aws_function_url_get.json",
			func(t *testing.T, r response, rep echo.Reply) {
				if rep.Method != "GET" || rep.Query["x"][0] != "/" || rep.RemoteAddr != "[2001:db8::7]:0" {
					t.Errorf("got %+v", rep)
				}
				if !rep.HasDeadline || rep.DeadlineMs != deadline.UnixMilli() || rep.Invocation.DeadlineMs != deadline.UnixMilli() {
					t.Errorf("deadline %v %d, want %d", rep.HasDeadline, rep.DeadlineMs, deadline.UnixMilli())
				}
				if _, ok := rep.Header["X-Amzn-Trace-Id"]; !ok {
					t.Errorf("headers = %v", rep.Header)
				}
			}},
		{"a REST API PUT uses the multi-value headers and query strings", "aws_rest_v1_multivalue.json",
			func(t *testing.T, r response, rep echo.Reply) {
				if rep.Method != "PUT" || rep.Path != "/echo/rest" || rep.Body != "plain text body" {
					t.Errorf("got %+v", rep)
				}
				if !reflect.DeepEqual(rep.Header["X-Multi"], []string{"one", "two"}) {
					t.Errorf("X-Multi = %v", rep.Header["X-Multi"])
				}
				if !reflect.DeepEqual(rep.Query["tag"], []string{"a", "b"}) || rep.Query["q"][0] != "a b&c" {
					t.Errorf("query = %v", rep.Query)
				}
				if rep.Invocation.RequestID != "req-1" || rep.Invocation.SourceIP != "198.51.100.4" {
					t.Errorf("invocation = %+v", rep.Invocation)
				}
				if r.MultiValueHeaders["Content-Type"][0] != "application/json" {
					t.Errorf("response headers = %v", r.MultiValueHeaders)
				}
			}},
		{"an ALB request keeps its already-encoded query and answers with single-value headers", "aws_alb_single.json",
			func(t *testing.T, r response, rep echo.Reply) {
				if rep.Query["q"][0] != "hello world" || rep.Invocation.SourceIP != "192.0.2.10" {
					t.Errorf("got %+v", rep)
				}
				if r.StatusDescription != "200 OK" || r.Headers["Content-Type"] != "application/json" || r.MultiValueHeaders != nil {
					t.Errorf("response = %+v", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invokeHTTP(t, h, eventtest.Fixture(t, tt.event), deadline)
			if r.StatusCode != 200 || r.IsBase64Encoded {
				t.Fatalf("status %d base64 %v body %s", r.StatusCode, r.IsBase64Encoded, r.Body)
			}
			var rep echo.Reply
			if err := json.Unmarshal(r.Bytes(t), &rep); err != nil {
				t.Fatal(err)
			}
			tt.check(t, r, rep)
		})
	}
}

// v2 builds an HTTP API event for method and path.
func v2(method, path, rawQuery string) []byte {
	ev := map[string]any{
		"version": "2.0", "rawPath": path, "rawQueryString": rawQuery,
		"headers":        map[string]string{"host": "x.example"},
		"requestContext": map[string]any{"requestId": "r", "http": map[string]string{"method": method, "path": path, "sourceIp": "192.0.2.1"}},
	}
	b, _ := json.Marshal(ev)
	return b
}

func TestResponses(t *testing.T) {
	h := newHandler(t, echo.Build)
	deadline := time.Now().Add(time.Minute)
	t.Run("a binary response is base64-encoded", func(t *testing.T) {
		r := invokeHTTP(t, h, v2("GET", "/binary", ""), deadline)
		b := r.Bytes(t)
		if !r.IsBase64Encoded || len(b) != 256 || b[255] != 255 {
			t.Fatalf("base64 %v, %d bytes", r.IsBase64Encoded, len(b))
		}
	})
	t.Run("Set-Cookie headers become the v2 cookies list and other headers are joined", func(t *testing.T) {
		r := invokeHTTP(t, h, v2("GET", "/cookies", ""), deadline)
		if r.StatusCode != 418 || !reflect.DeepEqual(r.Cookies, []string{"a=1", "b=2"}) || r.Headers["X-Multi"] != "one, two" {
			t.Fatalf("response = %+v", r)
		}
		if _, ok := r.Headers["Set-Cookie"]; ok {
			t.Fatal("Set-Cookie also in headers")
		}
	})
	t.Run("ALB with multi-value headers answers with multi-value headers", func(t *testing.T) {
		r := invokeHTTP(t, h, eventtest.Fixture(t, "aws_alb_multivalue.json"), deadline)
		if r.StatusCode != 418 || r.StatusDescription != "418 I'm a teapot" || len(r.MultiValueHeaders["Set-Cookie"]) != 2 || r.Headers != nil {
			t.Fatalf("response = %+v", r)
		}
	})
	t.Run("a panicking handler becomes a JSON 500 and the handler keeps serving", func(t *testing.T) {
		r := invokeHTTP(t, h, v2("GET", "/panic", ""), deadline)
		if r.StatusCode != 500 || !strings.Contains(r.Body, `"code":"internal"`) {
			t.Fatalf("response = %+v", r)
		}
		if r := invokeHTTP(t, h, v2("GET", "/echo/after", ""), deadline); r.StatusCode != 200 {
			t.Fatalf("after panic: %+v", r)
		}
	})
	t.Run("a response over 6 MB becomes a response_too_large 500", func(t *testing.T) {
		r := invokeHTTP(t, h, v2("GET", "/big", "n=7000000"), deadline)
		if r.StatusCode != 500 || !strings.Contains(r.Body, "response_too_large") {
			t.Fatalf("status %d body %.200s", r.StatusCode, r.Body)
		}
	})
	t.Run("a response just under 6 MB whose JSON would pass the limit also becomes response_too_large", func(t *testing.T) {
		r := invokeHTTP(t, h, v2("GET", "/big", "n=6291440"), deadline)
		if r.StatusCode != 500 || !strings.Contains(r.Body, "response_too_large") {
			t.Fatalf("status %d body %.200s", r.StatusCode, r.Body)
		}
	})
	t.Run("a named HTTP API stage is stripped from the path", func(t *testing.T) {
		ev := strings.NewReplacer(`"stage": "$default"`, `"stage": "prod"`, `"rawPath": "/echo/topics/orders%2Feu"`, `"rawPath": "/prod/echo/topics/orders%2Feu"`,
			`"path": "/echo/topics/orders/eu"`, `"path": "/prod/echo/topics/orders/eu"`).Replace(string(eventtest.Fixture(t, "aws_httpapi_v2_post.json")))
		r := invokeHTTP(t, h, []byte(ev), deadline)
		if r.StatusCode != 200 || !strings.Contains(r.Body, `"escapedPath":"/echo/topics/orders%2Feu"`) {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	})
	t.Run("an unknown route is the mux's JSON 404", func(t *testing.T) {
		r := invokeHTTP(t, h, v2("GET", "/nope", ""), deadline)
		if r.StatusCode != 404 || r.Headers["Content-Type"] != "application/json" {
			t.Fatalf("response = %+v", r)
		}
	})
	t.Run("a body that is not valid base64 is a 400", func(t *testing.T) {
		ev := strings.Replace(string(eventtest.Fixture(t, "aws_httpapi_v2_post.json")), `"eyJ`, `"!!!`, 1)
		r := invokeHTTP(t, h, []byte(ev), deadline)
		if r.StatusCode != 400 || !strings.Contains(r.Body, "invalid_body") {
			t.Fatalf("response = %+v", r)
		}
	})
	t.Run("an invalid method is a 400", func(t *testing.T) {
		r := invokeHTTP(t, h, v2("G T", "/echo/x", ""), deadline)
		if r.StatusCode != 400 {
			t.Fatalf("response = %+v", r)
		}
	})
}

func TestTimerEvents(t *testing.T) {
	deadline := time.Now().Add(time.Minute)
	t.Run("an EventBridge schedule reaches App.Timer with the rule name and time", func(t *testing.T) {
		h := newHandler(t, echo.Build)
		out, err := h.Invoke(invokeCtx(t, deadline), eventtest.Fixture(t, "aws_schedule.json"))
		if err != nil || string(out) != `{"ok":true}` {
			t.Fatalf("invoke = %s, %v", out, err)
		}
		last := lastTimer(t, h, deadline)
		if last.Platform != "aws" || last.Name != "kafkafn-ConsumeWindowPull-1ABC" || !last.Time.Equal(time.Date(2026, 11, 21, 10, 5, 0, 0, time.UTC)) || last.Payload != "" {
			t.Fatalf("timer = %+v", last)
		}
		if last.Inv == nil || last.Inv.RequestID != "req-1" {
			t.Fatalf("invocation = %+v", last.Inv)
		}
	})
	t.Run("a schedule's constant input is the timer payload verbatim", func(t *testing.T) {
		h := newHandler(t, echo.Build)
		if _, err := h.Invoke(invokeCtx(t, deadline), eventtest.Fixture(t, "aws_schedule_input.json")); err != nil {
			t.Fatal(err)
		}
		if last := lastTimer(t, h, deadline); strings.TrimSpace(last.Payload) != `{"topic":"orders","count":100}` {
			t.Fatalf("payload = %q", last.Payload)
		}
	})
	t.Run("a failing timer is an invoke error", func(t *testing.T) {
		h := newHandler(t, echo.Build)
		if _, err := h.Invoke(invokeCtx(t, deadline), []byte(`{"fail":true}`)); err == nil || !strings.Contains(err.Error(), "awslambda: timer") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a panicking timer is an invoke error, not a crash", func(t *testing.T) {
		h := newHandler(t, echo.Build)
		if _, err := h.Invoke(invokeCtx(t, deadline), []byte(`{"panic":true}`)); err == nil || !strings.Contains(err.Error(), "panic") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a timer event for an HTTP-only function is an error", func(t *testing.T) {
		h := newHandler(t, echo.BuildHTTPOnly)
		if _, err := h.Invoke(invokeCtx(t, deadline), eventtest.Fixture(t, "aws_schedule.json")); err == nil || !strings.Contains(err.Error(), "HTTP events only") {
			t.Fatalf("err = %v", err)
		}
	})
}

func lastTimer(t *testing.T, h *awslambda.Handler, deadline time.Time) echo.Timer {
	t.Helper()
	r := invokeHTTP(t, h, v2("GET", "/timer/last", ""), deadline)
	var last echo.Timer
	if err := json.Unmarshal([]byte(r.Body), &last); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	return last
}

func FuzzInvoke(f *testing.F) {
	for _, name := range []string{"aws_httpapi_v2_post.json", "aws_function_url_get.json", "aws_rest_v1_multivalue.json",
		"aws_alb_single.json", "aws_alb_multivalue.json", "aws_schedule.json", "aws_schedule_input.json",
		"aws_auth_httpapi_iam_assumed_role.json", "aws_auth_httpapi_jwt_cognito.json", "aws_auth_rest_lambda_authorizer.json"} {
		f.Add(eventtest.Fixture(f, name))
	}
	h := newHandler(f, echo.BuildHTTPOnly)
	f.Fuzz(func(t *testing.T, event []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		out, err := h.Invoke(ctx, event)
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON response %q", out)
		}
	})
}

func BenchmarkInvokeHTTPAPIV2(b *testing.B) {
	h := newHandler(b, echo.Build)
	ev := eventtest.Fixture(b, "aws_httpapi_v2_post.json")
	ctx := invokeCtx(b, time.Now().Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMain(m *testing.M) { eventtest.Main(m) }
