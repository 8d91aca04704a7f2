package httpio_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// TestReadBodyOneBuffer: a body of declared length is read into one buffer of that length
// (plus the byte that sees its end), not into a doubled one.
func TestReadBodyOneBuffer(t *testing.T) {
	body := strings.Repeat("x", 100_000)
	r := httptest.NewRequest("POST", "/", io.NopCloser(strings.NewReader(body))) // not a type NewRequest sizes itself
	r.ContentLength = int64(len(body))
	got, err := httpio.ReadBody(httptest.NewRecorder(), r, 1<<20)
	if err != nil || string(got) != body {
		t.Fatalf("ReadBody: %d bytes, %v", len(got), err)
	}
	if cap(got) > len(body)+1 {
		t.Errorf("buffer of %d bytes for a %d-byte body", cap(got), len(body))
	}
	r = httptest.NewRequest("POST", "/", io.NopCloser(strings.NewReader(body)))
	r.ContentLength = -1 // unknown: grows, within the limit
	if got, err := httpio.ReadBody(httptest.NewRecorder(), r, 1<<20); err != nil || string(got) != body {
		t.Fatalf("ReadBody of unknown length: %d bytes, %v", len(got), err)
	}
	r = httptest.NewRequest("POST", "/", io.NopCloser(strings.NewReader(body)))
	r.ContentLength = -1
	if _, err := httpio.ReadBody(httptest.NewRecorder(), r, 1000); apierr.CodeOf(err) != "body_too_large" {
		t.Errorf("ReadBody past the limit: %v, want body_too_large", err)
	}
	r = httptest.NewRequest("POST", "/", http.NoBody)
	if got, err := httpio.ReadBody(httptest.NewRecorder(), r, 1000); err != nil || got != nil {
		t.Errorf("ReadBody of no body: %q, %v", got, err)
	}
}

// TestReadBodyBytesBody: a BytesBody is handed over without a copy, through the body budget
// of Serve, and held to the limit.
func TestReadBodyBytesBody(t *testing.T) {
	in := []byte(`{"records":[{"value":"v"}]}`)
	var got []byte
	var gotErr error
	mux := http.NewServeMux()
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		got, gotErr = httpio.ReadBody(w, r, 1<<20)
	})
	h := httpio.Serve(mux, slog.New(slog.DiscardHandler),
		httpio.WithBodyBudget(httpio.Limits{MaxBodyBytes: 1 << 20, MaxInflightBytes: 1 << 20}))
	r := httptest.NewRequest("POST", "/", httpio.NewBytesBody(in))
	r.ContentLength = int64(len(in))
	h.ServeHTTP(httptest.NewRecorder(), r)
	if gotErr != nil || !bytes.Equal(got, in) || &got[0] != &in[0] {
		t.Fatalf("ReadBody: %q, %v (a copy: %v)", got, gotErr, len(got) > 0 && &got[0] != &in[0])
	}
	r = httptest.NewRequest("POST", "/", httpio.NewBytesBody(in))
	if _, err := httpio.ReadBody(httptest.NewRecorder(), r, 10); apierr.CodeOf(err) != "body_too_large" {
		t.Errorf("ReadBody past the limit: %v, want body_too_large", err)
	}
	// Once read from, a BytesBody is read like any other body.
	b := httpio.NewBytesBody(in)
	first := make([]byte, 5)
	_, _ = b.Read(first)
	r = httptest.NewRequest("POST", "/", b)
	r.ContentLength = -1
	if got, err := httpio.ReadBody(httptest.NewRecorder(), r, 1<<20); err != nil || string(got) != string(in[5:]) {
		t.Errorf("ReadBody of a part-read BytesBody: %q, %v", got, err)
	}
}

// TestServeMemoryLimit: the soft memory limit Serve's handler suggests follows the budgets.
func TestServeMemoryLimit(t *testing.T) {
	limit := func(opts ...httpio.Option) int64 {
		h := httpio.Serve(http.NewServeMux(), slog.New(slog.DiscardHandler), opts...)
		return h.(interface{ MemoryLimit() int64 }).MemoryLimit()
	}
	l := httpio.Limits{MaxBodyBytes: 1 << 20, MaxInflightBytes: 16 << 20, MaxInflightResponseBytes: 32 << 20}
	if got := limit(); got != 0 {
		t.Errorf("no budget: %d, want 0 (no limit)", got)
	}
	if got, want := limit(httpio.WithBodyBudget(l)), int64(2*16<<20+8<<20); got != want {
		t.Errorf("body budget: %d, want %d", got, want)
	}
	if got, want := limit(httpio.WithBodyBudget(l), httpio.WithResponseBudget(l)), int64(2*16<<20+2*32<<20+8<<20); got != want {
		t.Errorf("body and response budgets: %d, want %d", got, want)
	}
}
