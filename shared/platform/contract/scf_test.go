package contract_test

import (
	"encoding/json"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/internal/scfwire"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
)

// The SCF runtime's messages, declared independently of package scf (Function.Invoke's in
// scfwire): gob matches fields by name, so this proves the binary speaks the wire contract,
// not our Go types.
type (
	scfPingRequest  struct{}
	scfPingResponse struct{}
)

// scfRuntime plays the SCF Go1 runtime against one started binary.
type scfRuntime struct {
	client *rpc.Client
	p      *proc
	env    string // the Environment JSON sent with every invoke
}

func startSCF(t testing.TB, bin string, invokeEnv map[string]string, env ...string) *scfRuntime {
	t.Helper()
	port := loopback.FreePort(t)
	p := start(t, bin, append(env, "_LAMBDA_SERVER_PORT="+port)...)
	addr := net.JoinHostPort("127.0.0.1", port)
	waitDial(t, p, addr)
	c, err := rpc.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	envJSON, _ := json.Marshal(invokeEnv)
	return &scfRuntime{client: c, p: p, env: string(envJSON)}
}

func (s *scfRuntime) invoke(t testing.TB, payload []byte) scfwire.Response {
	t.Helper()
	d := time.Now().Add(time.Minute)
	req := scfwire.Invoke{
		Payload: payload, RequestId: "scf-req-1", Deadline: scfwire.Timestamp{Seconds: d.Unix(), Nanos: int64(d.Nanosecond())},
		Namespace: "default", FunctionName: "testapp", FunctionVersion: "$LATEST", MemoryLimitInMb: 128, TimeLimitInMs: 60000,
		Environment: s.env, TencentcloudRegion: "ap-guangzhou",
	}
	var resp scfwire.Response
	if err := s.client.Call("Function.Invoke", &req, &resp); err != nil {
		t.Fatalf("Function.Invoke: %v", err)
	}
	return resp
}

func (s *scfRuntime) invokeHTTP(t testing.TB, payload []byte) httpResult {
	t.Helper()
	resp := s.invoke(t, payload)
	if resp.Error != nil {
		t.Fatalf("invoke error: %+v", *resp.Error)
	}
	var r httpResult
	if err := json.Unmarshal(resp.Payload, &r); err != nil {
		t.Fatalf("%s: %v", resp.Payload, err)
	}
	return r
}

// scfEvent is a minimal API Gateway trigger event.
func scfEvent(method, path string, query map[string]any, body string, headers map[string]string) []byte {
	if headers == nil {
		headers = map[string]string{}
	}
	if query == nil {
		query = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{
		"requestContext": map[string]any{"serviceId": "service-abc", "path": path, "httpMethod": method, "requestId": "apigw-1", "sourceIp": "10.0.0.9", "stage": "release"},
		"headers":        headers, "body": body, "isBase64Encoded": false, "path": path, "queryString": query, "httpMethod": method,
	})
	return b
}

func TestSCFContract(t *testing.T) {
	bin := binary(t, testapp)
	cluster := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders"))
	// The Kafka address arrives only in the per-invoke Environment, as SCF may deliver it.
	s := startSCF(t, bin, map[string]string{"KAFKA_BROKERS": strings.Join(cluster.Config.Brokers, ","), "ECHO_ENV": "KAFKA_BROKERS"})

	t.Run("Function.Ping answers", func(t *testing.T) {
		if err := s.client.Call("Function.Ping", &scfPingRequest{}, &scfPingResponse{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an API Gateway event is answered with an integrated response", func(t *testing.T) {
		r := s.invokeHTTP(t, fixture(t, "../scf/testdata/scf_apigw_post.json"))
		var rep echo.Reply
		if err := json.Unmarshal([]byte(r.Body), &rep); err != nil || r.StatusCode != 200 {
			t.Fatalf("%+v", r)
		}
		if rep.Path != "/echo/value" || rep.Platform != "scf" || rep.Invocation.RequestID != "scf-req-1" || !rep.HasDeadline ||
			rep.Env != strings.Join(cluster.Config.Brokers, ",") {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("polymorphic queryString values arrive as a normal query", func(t *testing.T) {
		r := s.invokeHTTP(t, fixture(t, "../scf/testdata/scf_apigw_query_polymorphic.json"))
		var rep echo.Reply
		if err := json.Unmarshal([]byte(r.Body), &rep); err != nil || len(rep.Query["a"]) != 2 || len(rep.Query["flag"]) != 1 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("a panic is a JSON 500 and the process keeps serving", func(t *testing.T) {
		if r := s.invokeHTTP(t, scfEvent("GET", "/panic", nil, "", nil)); r.StatusCode != 500 {
			t.Fatalf("%+v", r)
		}
		if r := s.invokeHTTP(t, scfEvent("GET", "/echo/x", nil, "", nil)); r.StatusCode != 200 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("a timer trigger runs App.Timer with the Message as payload", func(t *testing.T) {
		if resp := s.invoke(t, fixture(t, "../scf/testdata/scf_timer.json")); resp.Error != nil {
			t.Fatalf("%+v", *resp.Error)
		}
		r := s.invokeHTTP(t, scfEvent("GET", "/timer/last", nil, "", nil))
		if !strings.Contains(r.Body, `"name":"EveryDay"`) || !strings.Contains(r.Body, `"platform":"scf"`) {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("a failing timer is reported in InvokeResponse.Error without ShouldExit", func(t *testing.T) {
		resp := s.invoke(t, []byte(`{"Type":"Timer","TriggerName":"t","Message":"{\"fail\":true}"}`))
		if resp.Error == nil || resp.Error.ShouldExit {
			t.Fatalf("%+v", resp.Error)
		}
	})
	t.Run("two warm invocations share one Kafka connection pool", func(t *testing.T) {
		dials := func() int64 {
			r := s.invokeHTTP(t, scfEvent("GET", "/kafka/topics/orders/produce", nil, "", nil))
			var d struct{ Dials int64 }
			if r.StatusCode != 200 || json.Unmarshal([]byte(r.Body), &d) != nil || d.Dials == 0 {
				t.Fatalf("%+v", r)
			}
			return d.Dials
		}
		if first, second := dials(), dials(); first != second {
			t.Fatalf("dials went from %d to %d", first, second)
		}
	})
	t.Run("SIGTERM ends the process cleanly", func(t *testing.T) {
		if err := s.p.stop(t); err != nil {
			t.Fatalf("exit: %v", err)
		}
	})
}
