package scf_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
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

// benchBuild reads the body as a route does and answers small (POST /produce) or answers a
// large JSON document (GET /consume).
func benchBuild(answer []byte) platform.BuildFunc {
	return func(_ context.Context, _ platform.Env) (platform.App, error) {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /produce", func(w http.ResponseWriter, r *http.Request) {
			body, err := httpio.ReadBody(w, r, 6<<20)
			if err != nil {
				httpio.WriteError(w, r, err)
				return
			}
			httpio.WriteJSON(w, http.StatusOK, map[string]int{"bytes": len(body)})
		})
		mux.HandleFunc("GET /consume", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(answer)
		})
		return platform.App{HTTP: mux}, nil
	}
}

func apigwEvent(method, path string, body []byte) []byte {
	ev, _ := json.Marshal(map[string]any{
		"requestContext": map[string]any{"serviceId": "service-1", "path": path, "httpMethod": method, "requestId": "r-1", "sourceIp": "10.0.2.14", "stage": "release"},
		"headers":        map[string]string{"content-type": "application/json", "host": "service-1.gz.apigw.tencentcs.com"},
		"body":           string(body), "path": path, "httpMethod": method,
		"queryString": map[string]any{},
	})
	return ev
}

func benchInvoke(b *testing.B, payload, answer []byte) {
	c := serve(b, noenv, benchBuild(answer))
	req := scf.InvokeRequest{Payload: payload, Deadline: deadlineIn(time.Hour)}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		resp := invoke(b, c, req)
		if resp.Error != nil || !strings.Contains(string(resp.Payload), `"statusCode":200`) {
			b.Fatalf("%+v %.200s", resp.Error, resp.Payload)
		}
	}
}

// BenchmarkWrapAPIGateway is a 500×1 KiB produce through an SCF API Gateway event (over the
// net/rpc gob connection, as the SCF runtime drives it).
func BenchmarkWrapAPIGateway(b *testing.B) {
	benchInvoke(b, apigwEvent("POST", "/produce", produceBody(500)), nil)
}

// BenchmarkWrapAPIGatewayConsume answers a 1 MiB JSON document (a consume window).
func BenchmarkWrapAPIGatewayConsume(b *testing.B) {
	benchInvoke(b, apigwEvent("GET", "/consume", nil), produceBody(1000))
}
