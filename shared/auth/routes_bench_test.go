package auth_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// BenchmarkRegisteredRoute is the middleware a produce request passes through before and
// after its handler, without Kafka: httpio.Serve with the body and response budgets, the
// Guard (dev mode), the path check, the request deadline, a 1 KiB JSON body read and a
// small raw JSON answer. The handler checks that it sees its principal, body and deadline.
func BenchmarkRegisteredRoute(b *testing.B) {
	limits := httpio.Limits{MaxBodyBytes: 6 << 20, MaxInflightBytes: 16 << 20, MaxInflightResponseBytes: 32 << 20,
		RequestTimeout: 25 * time.Second, BodyTimeout: 20 * time.Second, DeadlineMargin: 500 * time.Millisecond}
	body := bytes.Repeat([]byte("x"), 1024)
	body = append(append([]byte(`{"records":[{"value":"`), body...), `"}]}`...)
	answer := []byte(`{"records":[{"partition":0,"offset":1,"timestamp":1700000000000}]}` + "\n")
	handle := func(r *httpio.Request) (httpio.Response, error) {
		if _, ok := auth.FromContext(r.Context()); !ok {
			b.Fatal("no principal")
		}
		if _, ok := r.Context().Deadline(); !ok {
			b.Fatal("no deadline")
		}
		got, err := httpio.ReadJSONBody(r.Writer(), r.Request, limits.MaxBodyBytes, false)
		if err != nil || len(got) != len(body) {
			b.Fatalf("body: %d bytes, %v", len(got), err)
		}
		return rawAnswer(answer), nil
	}
	mux := http.NewServeMux()
	auth.Register(mux, auth.Table{
		Routes: []auth.Route{{Route: httpio.Route{Method: "POST", Path: "/v1/producer/topics/{topic}", Name: "Bench"},
			Op: auth.OpProduce, Handle: handle}},
		Guard: auth.NewDevGuard(), Timeout: limits.RequestTimeout, Margin: limits.DeadlineMargin,
		Checks: []httpio.PathCheck{{Name: "topic", Check: func(string) error { return nil }}},
	})
	h := httpio.Serve(mux, slog.New(slog.DiscardHandler), httpio.WithBodyBudget(limits), httpio.WithResponseBudget(limits))
	r := httptest.NewRequest("POST", "/v1/producer/topics/orders", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body, r.ContentLength = nopCloser{rd}, int64(len(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

type rawAnswer []byte

func (a rawAnswer) WriteResponse(w http.ResponseWriter, _ *http.Request) {
	httpio.WriteRawJSON(w, http.StatusOK, a)
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
