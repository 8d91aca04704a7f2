package httpio_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kafkafn/kafkafn/shared/httpio"
)

// BenchmarkServe is Serve's own cost around a handler that writes 204: logging, request id,
// trace context, the status recorder.
func BenchmarkServe(b *testing.B) {
	for name, log := range map[string]*slog.Logger{
		"no log":   slog.New(slog.DiscardHandler),
		"JSON log": slog.New(slog.NewJSONHandler(io.Discard, nil)),
	} {
		b.Run(name, func(b *testing.B) {
			mux := http.NewServeMux()
			mux.HandleFunc("POST /v1/producer/topics/{topic}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
			h := httpio.Serve(mux, log)
			r := httptest.NewRequest("POST", "/v1/producer/topics/orders", nil)
			r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
			}
		})
	}
}
