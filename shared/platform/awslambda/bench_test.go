package awslambda_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/awslambda"
)

// produceBody is an HDInsight-style produce body of n records of about 1 KiB each; each value
// is a JSON object, so its quotes are escaped inside an event's body string.
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

// benchApp reads the body as a route does and answers small (POST /produce) or answers a
// large JSON document (GET /consume), so the benchmarks measure the adapter, not a route.
func benchApp(answer []byte) platform.App {
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
	return platform.App{HTTP: mux}
}

func v2Event(method, path string, body []byte, b64 bool) []byte {
	s := string(body)
	if b64 {
		s = base64.StdEncoding.EncodeToString(body)
	}
	ev := map[string]any{
		"version": "2.0", "rawPath": path, "rawQueryString": "",
		"headers": map[string]string{"content-type": "application/json", "host": "abc.execute-api.eu-west-1.amazonaws.com"},
		"requestContext": map[string]any{
			"domainName": "abc.execute-api.eu-west-1.amazonaws.com", "requestId": "r-1", "stage": "$default",
			"http": map[string]string{"method": method, "path": path, "sourceIp": "203.0.113.7"},
		},
		"body": s, "isBase64Encoded": b64,
	}
	out, _ := json.Marshal(ev)
	return out
}

func benchInvoke(b *testing.B, ev []byte, answer []byte) {
	h := awslambda.New(benchApp(answer))
	ctx := invokeCtx(b, time.Now().Add(time.Hour))
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		out, err := h.Invoke(ctx, ev)
		if err != nil || !strings.Contains(string(out[:min(len(out), 32)]), `"statusCode":200`) {
			b.Fatalf("%v %.200s", err, out)
		}
	}
}

// BenchmarkWrapAPIGatewayV2 is a 500×1 KiB produce through an HTTP API payload 2.0 event.
func BenchmarkWrapAPIGatewayV2(b *testing.B) {
	benchInvoke(b, v2Event("POST", "/produce", produceBody(500), false), nil)
}

// BenchmarkWrapAPIGatewayV2Base64 is the same produce with the body base64-encoded.
func BenchmarkWrapAPIGatewayV2Base64(b *testing.B) {
	benchInvoke(b, v2Event("POST", "/produce", produceBody(500), true), nil)
}

// BenchmarkWrapAPIGatewayREST is the same produce through a REST API payload 1.0 event.
func BenchmarkWrapAPIGatewayREST(b *testing.B) {
	ev, _ := json.Marshal(map[string]any{
		"resource": "/{proxy+}", "path": "/produce", "httpMethod": "POST",
		"headers":           map[string]string{"Content-Type": "application/json"},
		"multiValueHeaders": map[string][]string{"Content-Type": {"application/json"}},
		"requestContext":    map[string]any{"requestId": "r-1", "stage": "prod", "identity": map[string]string{"sourceIp": "203.0.113.7"}},
		"body":              string(produceBody(500)), "isBase64Encoded": false,
	})
	benchInvoke(b, ev, nil)
}

// BenchmarkWrapALB is the same produce through an ALB event.
func BenchmarkWrapALB(b *testing.B) {
	ev, _ := json.Marshal(map[string]any{
		"path": "/produce", "httpMethod": "POST",
		"headers":        map[string]string{"content-type": "application/json"},
		"requestContext": map[string]any{"elb": map[string]string{"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1"}},
		"body":           string(produceBody(500)), "isBase64Encoded": false,
	})
	benchInvoke(b, ev, nil)
}

// BenchmarkWrapAPIGatewayV2Consume answers a 1 MiB JSON document (a consume window).
func BenchmarkWrapAPIGatewayV2Consume(b *testing.B) {
	benchInvoke(b, v2Event("GET", "/consume", nil, false), produceBody(1000))
}
