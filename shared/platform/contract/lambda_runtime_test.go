package contract_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
)

// fakeRuntime is the AWS Lambda Runtime API (2018-06-01) as a provided.al2023 function sees
// it, plus the Extensions API register call that aws-lambda-go makes to receive SIGTERM.
type fakeRuntime struct {
	t       testing.TB
	srv     *httptest.Server
	queue   chan *lambdaInvoke
	seq     atomic.Int64
	mu      sync.Mutex
	pending map[string]*lambdaInvoke
	initErr chan string
	polls   atomic.Int64
}

type lambdaInvoke struct {
	id       string
	deadline time.Time
	payload  []byte
	result   chan lambdaResult
}

type lambdaResult struct {
	kind string // "response" or "error"
	body []byte
}

func newFakeRuntime(t testing.TB) *fakeRuntime {
	f := &fakeRuntime{t: t, queue: make(chan *lambdaInvoke, 16), pending: map[string]*lambdaInvoke{}, initErr: make(chan string, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", f.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) { f.finish(w, r, "response") })
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) { f.finish(w, r, "error") })
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case f.initErr <- string(b):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", "ext-"+r.Header.Get("Lambda-Extension-Name"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"functionName":"testapp","functionVersion":"$LATEST","handler":"bootstrap"}`))
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // registered for no events: never answers
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// Addr is the value of AWS_LAMBDA_RUNTIME_API: host:port, no scheme.
func (f *fakeRuntime) Addr() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeRuntime) next(w http.ResponseWriter, r *http.Request) {
	f.polls.Add(1)
	select {
	case inv := <-f.queue:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:testapp")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

func (f *fakeRuntime) finish(w http.ResponseWriter, r *http.Request, kind string) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	inv := f.pending[r.PathValue("id")]
	delete(f.pending, r.PathValue("id"))
	f.mu.Unlock()
	if inv == nil {
		http.Error(w, "unknown request id", http.StatusBadRequest)
		return
	}
	inv.result <- lambdaResult{kind: kind, body: b}
	w.WriteHeader(http.StatusAccepted)
}

// invoke queues one event with the given deadline and waits for the function's answer.
func (f *fakeRuntime) invoke(t testing.TB, p *proc, payload []byte, deadline time.Time) lambdaResult {
	t.Helper()
	inv := &lambdaInvoke{id: "req-" + strconv.FormatInt(f.seq.Add(1), 10), deadline: deadline, payload: payload, result: make(chan lambdaResult, 1)}
	f.mu.Lock()
	f.pending[inv.id] = inv
	f.mu.Unlock()
	f.queue <- inv
	timeout := time.After(30 * time.Second)
	for {
		select {
		case res := <-inv.result:
			return res
		case <-timeout:
			t.Fatalf("no answer to %s", inv.id)
		case <-time.After(50 * time.Millisecond):
			if err, done := p.exited(); done {
				t.Fatalf("the function exited during %s: %v\n%s", inv.id, err, p.out.String())
			}
		}
	}
}

// invokeHTTP invokes an HTTP event and decodes the function's HTTP response JSON.
func (f *fakeRuntime) invokeHTTP(t testing.TB, p *proc, payload []byte) httpResult {
	t.Helper()
	res := f.invoke(t, p, payload, time.Now().Add(time.Minute))
	if res.kind != "response" {
		t.Fatalf("invoke: %s %s", res.kind, res.body)
	}
	var r httpResult
	if err := json.Unmarshal(res.body, &r); err != nil {
		t.Fatalf("%s: %v", res.body, err)
	}
	return r
}

// httpResult is the union of the platforms' HTTP response shapes.
type httpResult = eventtest.HTTPResponse

// v2Event is a minimal HTTP API payload 2.0 event.
func v2Event(method, path, rawQuery, body string, headers map[string]string) []byte {
	if headers == nil {
		headers = map[string]string{}
	}
	b, _ := json.Marshal(map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": rawQuery, "headers": headers,
		"requestContext": map[string]any{"requestId": "apigw-1", "domainName": "api.example.com",
			"http": map[string]string{"method": method, "path": path, "sourceIp": "203.0.113.9", "protocol": "HTTP/1.1"}},
		"body": body, "isBase64Encoded": false,
	})
	return b
}
