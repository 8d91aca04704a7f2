package consumewindow

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/bintest"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/internal/scfwire"
	"github.com/kafkafn/kafkafn/shared/broker"
)

// In package consumewindow: the binary tests share the sink helpers of pull_test.go; they
// start the built binaries, not an in-process server.

// The binary tests build the consume-window main as scripts/build does and drive a real
// timer payload of each platform through it: a fake Lambda Runtime API, the SCF Go1 gob RPC
// contract, and the Azure Functions host's payload-mode POST. Kafka is an in-process kfake
// cluster and the sink a local signed-webhook receiver.

var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kafkafn-consumewindow-")
	if err != nil {
		return "", err
	}
	return bintest.BuildTo(dir, "./cmd/consume-window")
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := buildBinary(); err == nil && strings.Contains(bin, "kafkafn-consumewindow-") {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// runBinary starts the consume-window binary with env; it is stopped when the test ends.
func runBinary(t *testing.T, env ...string) *logtest.Buffer {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	out := &logtest.Buffer{}
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"),
		// Real auth configuration (the timer needs none; HTTP routes would need tokens).
		"AUTH_ENTRA_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47", "AUTH_ENTRA_AUDIENCE=api://kafkafn"}, env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("consume-window output:\n%s", out.String())
		}
	})
	return out
}

// freeAddr is a free loopback address and its port.
func freeAddr(t *testing.T) (string, string) {
	t.Helper()
	addr := bintest.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	return addr, port
}

// timerDriver delivers one timer payload to a running binary and reports whether the
// platform would record the invocation as successful.
type timerDriver func(t *testing.T, payload []byte, deadline time.Time) (ok bool, detail string)

// lambdaDriver is a minimal AWS Lambda Runtime API (2018-06-01).
func lambdaDriver(t *testing.T, env []string) timerDriver {
	type result struct {
		ok   bool
		body string
	}
	type invocation struct {
		id       string
		payload  []byte
		deadline time.Time
	}
	queue := make(chan invocation)
	results := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case inv := <-queue:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:consume-window")
			_, _ = w.Write(inv.payload)
		case <-r.Context().Done():
		}
	})
	finish := func(ok bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			results <- result{ok: ok, body: string(b)}
			w.WriteHeader(http.StatusAccepted)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", finish(true))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", finish(false))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		t.Errorf("init error: %s", b)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", "ext-1")
		_, _ = w.Write([]byte(`{}`))
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	runBinary(t, append(env, "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=consume-window", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256")...)
	n := 0
	return func(t *testing.T, payload []byte, deadline time.Time) (bool, string) {
		n++
		select {
		case queue <- invocation{id: fmt.Sprintf("req-%d", n), payload: payload, deadline: deadline}:
		case <-time.After(20 * time.Second):
			t.Fatal("the function never asked for an invocation")
		}
		select {
		case r := <-results:
			return r.ok, r.body
		case <-time.After(60 * time.Second):
			t.Fatal("no answer")
		}
		return false, ""
	}
}

// scfDriver plays the SCF Go1 runtime (net/rpc with gob on _LAMBDA_SERVER_PORT).
func scfDriver(t *testing.T, env []string) timerDriver {
	addr, port := freeAddr(t)
	runBinary(t, append(env, "_LAMBDA_SERVER_PORT="+port)...)
	bintest.WaitListening(t, addr, nil)
	c, err := rpc.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return func(t *testing.T, payload []byte, deadline time.Time) (bool, string) {
		req := scfwire.Invoke{Payload: payload, RequestId: "scf-1", Deadline: scfwire.Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
			Namespace: "default", FunctionName: "consume-window", FunctionVersion: "$LATEST", MemoryLimitInMb: 256,
			TimeLimitInMs: int32(time.Until(deadline).Milliseconds()), Environment: "{}"}
		var res scfwire.Response
		if err := c.Call("Function.Invoke", &req, &res); err != nil {
			t.Fatalf("Function.Invoke: %v", err)
		}
		if res.Error != nil {
			return false, res.Error.Message
		}
		return true, string(res.Payload)
	}
}

// azureDriver plays the Functions host in payload mode: POST /<timer function> with the
// timerTrigger envelope. The host gives custom handlers no deadline.
func azureDriver(t *testing.T, env []string) timerDriver {
	addr, port := freeAddr(t)
	runBinary(t, append(env, "FUNCTIONS_CUSTOMHANDLER_PORT="+port, "FUNCTIONS_WORKER_RUNTIME=Custom")...)
	bintest.WaitListening(t, addr, nil)
	return func(t *testing.T, payload []byte, _ time.Time) (bool, string) {
		res, b := loopback.Do(t, http.MethodPost, "http://"+addr+"/TimerConsumeWindow", payload, map[string]string{"Content-Type": "application/json"})
		var env struct {
			Outputs map[string]json.RawMessage
			Logs    []string
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatalf("not a payload-mode result envelope: %s", b)
		}
		return res.StatusCode/100 == 2, string(b)
	}
}

const azureTimerEnvelope = `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},` +
	`"Metadata":{"sys":{"MethodName":"TimerConsumeWindow","UtcNow":"2026-11-21T10:05:00.017Z","RandGuid":"c1b4f2a8-3c7d-4f0e-9d51-2f5e1d3a7b90"}}}`

func TestScheduledPullThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	platforms := []struct {
		name         string
		ownsDeadline bool // the platform sets the invocation deadline (Azure does not: PULL_MAX_DURATION bounds the tick)
		driver       func(*testing.T, []string) timerDriver
		payload      func(topic string) []byte // the platform's real timer event
		env          func(topic string) []string
	}{
		{"AWS EventBridge schedule with constant Input", true,
			lambdaDriver,
			func(topic string) []byte { return []byte(`{"topic":"` + topic + `","count":2}`) },
			func(string) []string { return []string{"PULL_GROUP=pullers"} }},
		{"AWS EventBridge scheduled-event envelope", true,
			lambdaDriver,
			func(string) []byte {
				return []byte(`{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",` +
					`"account":"123456789012","time":"2026-11-21T10:05:00Z","region":"eu-west-1",` +
					`"resources":["arn:aws:events:eu-west-1:123456789012:rule/kafkafn-pull"],"detail":{}}`)
			},
			func(topic string) []string {
				return []string{"PULL_TOPIC=" + topic, "PULL_GROUP=pullers", "PULL_BATCH_COUNT=2"}
			}},
		{"Tencent SCF timer trigger with a JSON Message", true,
			scfDriver,
			func(topic string) []byte {
				msg, _ := json.Marshal(`{"topic":"` + topic + `","group":"pullers","count":2}`)
				return []byte(`{"Type":"Timer","TriggerName":"consume-window-pull","Time":"2026-11-21T10:05:00Z","Message":` + string(msg) + `}`)
			},
			func(string) []string { return nil }},
		{"Azure timerTrigger in payload mode", false,
			azureDriver,
			func(string) []byte { return []byte(azureTimerEnvelope) },
			func(topic string) []string {
				return []string{"PULL_TOPIC=" + topic, "PULL_GROUP=pullers", "PULL_BATCH_COUNT=2"}
			}},
	}
	for _, pf := range platforms {
		t.Run(pf.name, func(t *testing.T) {
			e := startEnv(t, nil, kfake.SeedTopics(2, "orders"))
			SeedTimed(t, e, "orders", 2, 5)
			var mu sync.Mutex
			down := true
			sink := newSinkServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) bool {
				mu.Lock()
				defer mu.Unlock()
				if down {
					w.WriteHeader(http.StatusServiceUnavailable)
					return false
				}
				return true
			})
			env := append([]string{"KAFKA_BROKERS=" + strings.Join(e.Cluster.Config.Brokers, ","),
				"PULL_SINK_URL=" + sink.URL, "PULL_SINK_SECRET=" + testSecret, "PULL_DEADLINE_MARGIN=1s", "PULL_MAX_DURATION=4s"},
				pf.env("orders")...)
			invoke := pf.driver(t, env)

			// Tick 1: the sink is down until the deadline: the invocation fails, nothing is committed.
			start := time.Now()
			deadline := start.Add(3 * time.Second)
			if !pf.ownsDeadline {
				deadline = start.Add(4 * time.Second) // PULL_MAX_DURATION
			}
			ok, detail := invoke(t, pf.payload("orders"), deadline)
			if time.Now().After(deadline) {
				t.Fatalf("the failing tick answered after its deadline")
			}
			if ok || !strings.Contains(detail, "503") {
				t.Fatalf("a tick with a failing sink: ok=%v %s", ok, detail)
			}
			t.Logf("tick 1 failed as it should: %.300s", detail)
			if c := e.Committed(t, "pullers", "orders", 2); c[0] != broker.NoCommit || c[1] != broker.NoCommit {
				t.Fatalf("committed %v after a failed delivery", c)
			}
			if sink.callCount() == 0 {
				t.Fatal("the sink was never called")
			}

			// Tick 2: the sink is back: everything is delivered in batches of 2 and committed.
			mu.Lock()
			down = false
			mu.Unlock()
			if ok, detail := invoke(t, pf.payload("orders"), time.Now().Add(30*time.Second)); !ok {
				t.Fatalf("tick failed: %s", detail)
			}
			// Tick 3 after more records: only the new ones.
			e.Produce(t, "orders", broker.Record{Partition: 1, Value: []byte("late")})
			if ok, detail := invoke(t, pf.payload("orders"), time.Now().Add(30*time.Second)); !ok {
				t.Fatalf("tick failed: %s", detail)
			}
			got := sink.accepted()
			for _, b := range got {
				if len(b.Records) > 2 || b.Group != "pullers" {
					t.Fatalf("batch %+v", b)
				}
			}
			checkPerPartitionOrder(t, batchRecords(got), map[int]int64{0: 3, 1: 3})
			if c := e.Committed(t, "pullers", "orders", 2); c[0] != 3 || c[1] != 3 {
				t.Fatalf("committed %v", c)
			}
		})
	}
}
