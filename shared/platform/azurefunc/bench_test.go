package azurefunc_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
)

// produceBody is an HDInsight-style produce body of n records of about 1 KiB each.
func produceBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"records":[`)
	pad := strings.Repeat("x", 1000)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"key":"k%d","value":{"n":%d,"data":"%s"}}`, i, i, pad)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkWrapForwarded is a 500×1 KiB produce forwarded by the Functions host
// (enableForwardingHttpRequest): the request reaches the route as the host sent it, with no
// envelope to decode, so this is the adapter's whole cost.
func BenchmarkWrapForwarded(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/produce", func(w http.ResponseWriter, r *http.Request) {
		body, err := httpio.ReadBody(w, r, 6<<20)
		if err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		httpio.WriteJSON(w, http.StatusOK, map[string]int{"bytes": len(body)})
	})
	h := azurefunc.Handler(platform.App{HTTP: mux})
	body := produceBody(500)
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
