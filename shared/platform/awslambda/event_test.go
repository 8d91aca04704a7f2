package awslambda_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/awslambda"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
)

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
	h := awslambda.New(platform.App{HTTP: eventtest.BenchMux(answer)})
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
	benchInvoke(b, v2Event("POST", "/produce", eventtest.ProduceBody(500), false), nil)
}

// BenchmarkWrapAPIGatewayV2Base64 is the same produce with the body base64-encoded.
func BenchmarkWrapAPIGatewayV2Base64(b *testing.B) {
	benchInvoke(b, v2Event("POST", "/produce", eventtest.ProduceBody(500), true), nil)
}

// BenchmarkWrapAPIGatewayREST is the same produce through a REST API payload 1.0 event.
func BenchmarkWrapAPIGatewayREST(b *testing.B) {
	ev, _ := json.Marshal(map[string]any{
		"resource": "/{proxy+}", "path": "/produce", "httpMethod": "POST",
		"headers":           map[string]string{"Content-Type": "application/json"},
		"multiValueHeaders": map[string][]string{"Content-Type": {"application/json"}},
		"requestContext":    map[string]any{"requestId": "r-1", "stage": "prod", "identity": map[string]string{"sourceIp": "203.0.113.7"}},
		"body":              string(eventtest.ProduceBody(500)), "isBase64Encoded": false,
	})
	benchInvoke(b, ev, nil)
}

// BenchmarkWrapALB is the same produce through an ALB event.
func BenchmarkWrapALB(b *testing.B) {
	ev, _ := json.Marshal(map[string]any{
		"path": "/produce", "httpMethod": "POST",
		"headers":        map[string]string{"content-type": "application/json"},
		"requestContext": map[string]any{"elb": map[string]string{"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1"}},
		"body":           string(eventtest.ProduceBody(500)), "isBase64Encoded": false,
	})
	benchInvoke(b, ev, nil)
}

// BenchmarkWrapAPIGatewayV2Consume answers a 1 MiB JSON document (a consume window).
func BenchmarkWrapAPIGatewayV2Consume(b *testing.B) {
	benchInvoke(b, v2Event("GET", "/consume", nil, false), eventtest.ProduceBody(1000))
}

// TestBodyBytes: the body reaches the route byte-exactly as the event's string literal says
// (one unquote, or one unquote and one base64 decode), for every HTTP event kind, and a text
// body that is not valid UTF-8 is refused rather than silently changed.
func TestBodyBytes(t *testing.T) {
	h := awslambda.New(mustBuild(t))
	events := map[string]string{
		"HTTP API v2": `{"version":"2.0","rawPath":"/echo/b","requestContext":{"http":{"method":"POST","path":"/echo/b","sourceIp":"192.0.2.1"}},"body":%s,"isBase64Encoded":%s}`,
		"REST API":    `{"path":"/echo/b","httpMethod":"POST","requestContext":{"identity":{"sourceIp":"192.0.2.1"}},"body":%s,"isBase64Encoded":%s}`,
		"ALB":         `{"path":"/echo/b","httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"arn"}},"body":%s,"isBase64Encoded":%s}`,
	}
	tests := []struct {
		name, literal, b64 string
		want               string // the bytes the route must read; "" with status 400 when refused
		status             int
	}{
		{"escapes are unquoted once", `"{\"v\":\"a\\\\b\\u00e9\\n\"}\t\u00e9\/"`, "false", "{\"v\":\"a\\\\b\\u00e9\\n\"}\t\u00e9/", 200},
		{"raw UTF-8 passes unchanged", "\"\xe6\x97\xa5\xf0\x9f\x98\x80\"", "false", "\xe6\x97\xa5\xf0\x9f\x98\x80", 200},
		{"a surrogate pair is one rune", `"\ud83d\ude00"`, "false", "\xf0\x9f\x98\x80", 200},
		{"base64 is decoded once", `"AP/+"`, "true", "\x00\xff\xfe", 200},
		{"base64 with escaped slashes and newlines", `"AP\/+\nAA=="`, "true", "\x00\xff\xfe\x00", 200},
		{"a lone surrogate is refused", `"a\ud800b"`, "false", "", 400},
		{"invalid UTF-8 is refused", "\"a\xffb\"", "false", "", 400},
		{"a truncated UTF-8 sequence is refused", "\"a\xe6\x97\"", "false", "", 400},
		{"invalid base64 is refused", `"AP/"`, "true", "", 400},
	}
	for kind, tmpl := range events {
		for _, tc := range tests {
			t.Run(kind+": "+tc.name, func(t *testing.T) {
				ev := fmt.Sprintf(tmpl, tc.literal, tc.b64)
				r := invokeHTTP(t, h, []byte(ev), time.Now().Add(time.Minute))
				eventtest.EchoedBody(t, r.StatusCode, r.Bytes(t), tc.status, tc.want)
			})
		}
	}
}

func mustBuild(t *testing.T) platform.App {
	app, err := echo.Build(context.Background(), platform.Env{Getenv: func(string) string { return "" }, Platform: "aws"})
	if err != nil {
		t.Fatal(err)
	}
	return app
}
