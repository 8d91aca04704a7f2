package contract_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
)

const testapp = "shared/platform/internal/testapp"

func TestLambdaContract(t *testing.T) {
	bin := binary(t, testapp)
	cluster := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders"))
	rt := newFakeRuntime(t)
	p := start(t, bin, append(cluster.Env(), "AWS_LAMBDA_RUNTIME_API="+rt.Addr(), "AWS_LAMBDA_FUNCTION_NAME=testapp")...)

	reply := func(t *testing.T, r httpResult) echo.Reply {
		t.Helper()
		var rep echo.Reply
		if err := json.Unmarshal([]byte(r.Body), &rep); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		return rep
	}
	t.Run("an HTTP API v2 event reaches the handler with the invoke deadline and request id", func(t *testing.T) {
		deadline := time.Now().Add(42 * time.Second).Truncate(time.Millisecond)
		res := rt.invoke(t, p, fixture(t, "../awslambda/testdata/aws_httpapi_v2_post.json"), deadline)
		if res.kind != "response" {
			t.Fatalf("%s: %s", res.kind, res.body)
		}
		var r httpResult
		if err := json.Unmarshal(res.body, &r); err != nil {
			t.Fatal(err)
		}
		rep := reply(t, r)
		if r.StatusCode != 200 || rep.Path != "/echo/topics/orders/eu" || rep.Body != `{"records":[{"value":"hello"}]}` || rep.Platform != "aws" {
			t.Fatalf("status %d reply %+v", r.StatusCode, rep)
		}
		if rep.DeadlineMs != deadline.UnixMilli() || rep.Invocation == nil || !strings.HasPrefix(rep.Invocation.RequestID, "req-") ||
			rep.Invocation.FunctionName != "testapp" {
			t.Fatalf("deadline %d (want %d), invocation %+v", rep.DeadlineMs, deadline.UnixMilli(), rep.Invocation)
		}
		for k := range rep.Header {
			if strings.HasPrefix(strings.ToLower(k), "lambda-") || strings.HasPrefix(strings.ToLower(k), "x-kafkafn") {
				t.Errorf("platform metadata leaked into header %s", k)
			}
		}
	})
	t.Run("REST API, Function URL and ALB events are served in their own response shapes", func(t *testing.T) {
		for _, name := range []string{"aws_rest_v1_multivalue.json", "aws_function_url_get.json", "aws_alb_single.json"} {
			r := rt.invokeHTTP(t, p, fixture(t, "../awslambda/testdata/"+name))
			if r.StatusCode != 200 || !strings.Contains(r.Body, `"platform":"aws"`) {
				t.Errorf("%s: %+v", name, r)
			}
			if name == "aws_alb_single.json" && r.StatusDescription != "200 OK" {
				t.Errorf("ALB statusDescription = %q", r.StatusDescription)
			}
		}
	})
	t.Run("a binary response comes back base64-encoded", func(t *testing.T) {
		r := rt.invokeHTTP(t, p, v2Event("GET", "/binary", "", "", nil))
		b, err := base64.StdEncoding.DecodeString(r.Body)
		if !r.IsBase64Encoded || err != nil || len(b) != 256 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("a panic is a JSON 500 and the same process serves the next invocation", func(t *testing.T) {
		if r := rt.invokeHTTP(t, p, v2Event("GET", "/panic", "", "", nil)); r.StatusCode != 500 {
			t.Fatalf("%+v", r)
		}
		if r := rt.invokeHTTP(t, p, v2Event("GET", "/echo/after-panic", "", "", nil)); r.StatusCode != 200 || reply(t, r).Builds != 1 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("a response over 6 MB is a response_too_large 500, not a runtime error", func(t *testing.T) {
		r := rt.invokeHTTP(t, p, v2Event("GET", "/big", "n=6400000", "", nil))
		if r.StatusCode != 500 || !strings.Contains(r.Body, "response_too_large") {
			t.Fatalf("status %d body %.200s", r.StatusCode, r.Body)
		}
	})
	t.Run("an EventBridge schedule runs the timer", func(t *testing.T) {
		res := rt.invoke(t, p, fixture(t, "../awslambda/testdata/aws_schedule.json"), time.Now().Add(time.Minute))
		if res.kind != "response" {
			t.Fatalf("%s: %s", res.kind, res.body)
		}
		r := rt.invokeHTTP(t, p, v2Event("GET", "/timer/last", "", "", nil))
		if !strings.Contains(r.Body, `"name":"kafkafn-ConsumeWindowPull-1ABC"`) {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("a failing timer is reported on /error with errorMessage and errorType", func(t *testing.T) {
		res := rt.invoke(t, p, []byte(`{"fail":true}`), time.Now().Add(time.Minute))
		var e struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		}
		if res.kind != "error" || json.Unmarshal(res.body, &e) != nil || !strings.Contains(e.ErrorMessage, "awslambda: timer") || e.ErrorType == "" {
			t.Fatalf("%s: %s", res.kind, res.body)
		}
	})
	t.Run("an event that is not JSON is reported on /error", func(t *testing.T) {
		if res := rt.invoke(t, p, []byte(`{not json`), time.Now().Add(time.Minute)); res.kind != "error" {
			t.Fatalf("%s: %s", res.kind, res.body)
		}
	})
	t.Run("two warm invocations share one Kafka connection pool", func(t *testing.T) {
		dials := func() int64 {
			r := rt.invokeHTTP(t, p, v2Event("GET", "/kafka/topics/orders/produce", "", "", nil))
			var d struct{ Dials int64 }
			if r.StatusCode != 200 || json.Unmarshal([]byte(r.Body), &d) != nil || d.Dials == 0 {
				t.Fatalf("%+v", r)
			}
			return d.Dials
		}
		first, second := dials(), dials()
		if second != first {
			t.Fatalf("dials went from %d to %d: the second invocation did not reuse the pool", first, second)
		}
	})
	t.Run("SIGTERM ends the process cleanly", func(t *testing.T) {
		if err := p.stop(t); err != nil {
			t.Fatalf("exit: %v\n%s", err, p.out.String())
		}
	})
}

func TestLambdaBuildFailure(t *testing.T) {
	bin := binary(t, testapp)
	rt := newFakeRuntime(t)
	p := start(t, bin, "AWS_LAMBDA_RUNTIME_API="+rt.Addr(), "ECHO_FAIL_BUILD=true")
	select {
	case err := <-p.done:
		p.done <- err
		if err == nil || !strings.Contains(p.out.String(), "awslambda: build") {
			t.Fatalf("exit %v, output %s", err, p.out.String())
		}
		select {
		case msg := <-rt.initErr:
			if !strings.Contains(msg, "ECHO_FAIL_BUILD") || !strings.Contains(msg, "Runtime.BuildError") {
				t.Fatalf("init error %s", msg)
			}
		default:
			t.Fatal("the build failure was not reported to /runtime/init/error")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a function whose build fails must exit (Lambda reports an init error)")
	}
}
