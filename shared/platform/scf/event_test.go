package scf_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

// benchBuild serves eventtest.BenchMux(answer).
func benchBuild(answer []byte) platform.BuildFunc {
	return func(_ context.Context, _ platform.Env) (platform.App, error) {
		return platform.App{HTTP: eventtest.BenchMux(answer)}, nil
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
	benchInvoke(b, apigwEvent("POST", "/produce", eventtest.ProduceBody(500)), nil)
}

// BenchmarkWrapAPIGatewayConsume answers a 1 MiB JSON document (a consume window).
func BenchmarkWrapAPIGatewayConsume(b *testing.B) {
	benchInvoke(b, apigwEvent("GET", "/consume", nil), eventtest.ProduceBody(1000))
}

// TestBodyBytes: the body reaches the route byte-exactly as the event's string literal says,
// and a text body that is not valid UTF-8 is refused rather than silently changed.
func TestBodyBytes(t *testing.T) {
	c := serve(t, noenv, echo.Build)
	const tmpl = `{"requestContext":{"sourceIp":"10.0.0.1"},"path":"/echo/b","httpMethod":"POST","queryString":{"a":["1","2"],"f":true},"body":%s,"isBase64Encoded":%s}`
	tests := []struct {
		name, literal, b64 string
		want               string
		status             int
	}{
		{"escapes are unquoted once", `"{\"v\":\"a\\\\b\\u00e9\\n\"}\t\u00e9\/"`, "false", "{\"v\":\"a\\\\b\\u00e9\\n\"}\t\u00e9/", 200},
		{"raw UTF-8 passes unchanged", "\"\xe6\x97\xa5\xf0\x9f\x98\x80\"", "false", "\xe6\x97\xa5\xf0\x9f\x98\x80", 200},
		{"base64 is decoded once", `"AP\/+\nAA=="`, "true", "\x00\xff\xfe\x00", 200},
		{"a lone surrogate is refused", `"a\udc00b"`, "false", "", 400},
		{"invalid UTF-8 is refused", "\"a\xffb\"", "false", "", 400},
		{"invalid base64 is refused", `"AP/"`, "true", "", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := invoke(t, c, scf.InvokeRequest{Payload: fmt.Appendf(nil, tmpl, tc.literal, tc.b64), Deadline: deadlineIn(time.Minute)})
			r, body := httpResp(t, resp)
			rep, ok := eventtest.EchoedBody(t, r.StatusCode, body, tc.status, tc.want)
			if !ok {
				return
			}
			if url.Values(rep.Query).Encode() != "a=1&a=2&f=" || rep.RemoteAddr != "10.0.0.1:0" {
				t.Fatalf("query %q remote %q", url.Values(rep.Query).Encode(), rep.RemoteAddr)
			}
		})
	}
}
