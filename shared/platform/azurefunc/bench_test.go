package azurefunc_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
)

// BenchmarkWrapForwarded is a 500×1 KiB produce forwarded by the Functions host
// (enableForwardingHttpRequest): the request reaches the route as the host sent it, with no
// envelope to decode, so this is the adapter's whole cost.
func BenchmarkWrapForwarded(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/produce", eventtest.ReadBody)
	h := azurefunc.Handler(platform.App{HTTP: mux})
	body := eventtest.ProduceBody(500)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/produce", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.7:51234")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
