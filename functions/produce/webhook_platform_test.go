package produce_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

// platformAnswer is the HTTP answer a platform adapter produced.
type platformAnswer struct {
	status int
	body   []byte
}

// proxyAnswer decodes an API Gateway / SCF API Gateway integration response.
func proxyAnswer(t *testing.T, out []byte) platformAnswer {
	t.Helper()
	r, err := harness.ProxyResponse(out)
	if err != nil {
		t.Fatal(err)
	}
	return platformAnswer{status: r.Status, body: r.Body}
}

// lowerHeaders flattens h the way API gateways deliver headers: lower-case names, one value.
func lowerHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		out[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	return out
}

// TestWebhookThroughPlatforms sends signed deliveries through each platform adapter's own
// event shape: the body must reach the verifier byte for byte (base64-encoded binary bodies
// on Lambda and SCF, text bodies with multi-byte characters), and the record must hold it.
func TestWebhookThroughPlatforms(t *testing.T) {
	s := startWebhooks(t, 1<<20)
	binary := []byte{0x00, 0xff, 0xfe, '\r', '\n', 0x80, 'k', 'a', 'f', 'k', 'a'}
	text := []byte(`{"emoji":"🚀","name":"Zoë","price":"€4.20"}`)

	type sendFunc func(t *testing.T, path, rawQuery string, h http.Header, body []byte) platformAnswer
	lambda := func(t *testing.T, path, rawQuery string, h http.Header, body []byte) platformAnswer {
		ev := map[string]any{
			"version": "2.0", "routeKey": "POST /v1/webhooks/{topic}", "rawPath": path, "rawQueryString": rawQuery,
			"headers": lowerHeaders(h),
			"requestContext": map[string]any{
				"domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "requestId": "r1", "stage": "$default",
				"http": map[string]any{"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"},
			},
		}
		// API Gateway sends text bodies as text and anything else base64-encoded.
		if strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			ev["body"], ev["isBase64Encoded"] = string(body), false
		} else {
			ev["body"], ev["isBase64Encoded"] = base64.StdEncoding.EncodeToString(body), true
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		out, err := s.Lambda().Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		return proxyAnswer(t, out)
	}
	scfEvent := func(t *testing.T, path, rawQuery string, h http.Header, body []byte) platformAnswer {
		query := map[string]any{}
		for _, kv := range strings.Split(rawQuery, "&") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				query[k] = v
			}
		}
		ev := map[string]any{
			"requestContext": map[string]any{"serviceId": "service-f94sy04v", "path": "/v1/webhooks/{topic}", "httpMethod": "POST",
				"requestId": "e1", "sourceIp": "10.0.2.16", "stage": "release"},
			"headers": lowerHeaders(h), "path": path, "queryString": query, "httpMethod": "POST",
		}
		if strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			ev["body"] = string(body) // text bodies come as text, without isBase64Encoded
		} else {
			ev["body"], ev["isBase64Encoded"] = base64.StdEncoding.EncodeToString(body), true
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		fn := s.SCF(t.Context())
		var resp scf.InvokeResponse
		if err := fn.Invoke(&scf.InvokeRequest{Payload: payload, RequestId: "e1", TimeLimitInMs: 20000}, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.Error != nil {
			t.Fatalf("invoke: %+v", *resp.Error)
		}
		return proxyAnswer(t, resp.Payload)
	}
	// The same configuration behind the Azure adapter, over the same cluster.
	az := harness.Start(t, harness.Options{Routes: harness.Produce, Auth: harness.AuthEnv, Env: s.Env,
		Brokers: s.Cluster.ListenAddrs(), Platform: harness.Azure})
	azure := func(t *testing.T, path, rawQuery string, h http.Header, body []byte) platformAnswer {
		h = h.Clone()
		h.Set("X-Azure-Functions-InvocationId", "inv-1")
		status, b := postTo(t, az.URL+path+"?"+rawQuery, body, h)
		return platformAnswer{status: status, body: b}
	}

	for _, p := range []struct {
		name string
		send sendFunc
	}{{"AWS Lambda (HTTP API payload 2.0)", lambda}, {"Tencent SCF (API Gateway event)", scfEvent}, {"Azure Functions (forwarded request)", azure}} {
		t.Run(p.name, func(t *testing.T) {
			cases := []struct {
				name     string
				topic    string
				rawQuery string
				header   http.Header
				body     []byte
				key      string
			}{
				{name: "a binary body signed with the generic HMAC", topic: "orders", rawQuery: "source=shop&key=k-" + p.name[:3],
					header: shopSigned(whShopSecret, binary), body: binary, key: "k-" + p.name[:3]},
				{name: "a UTF-8 JSON body signed with Standard Webhooks", topic: "events", rawQuery: "source=billing",
					header: stdSigned(t, whStdSecret, "msg_"+p.name[:3], time.Now(), text, "application/json"), body: text, key: "msg_" + p.name[:3]},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					a := p.send(t, "/v1/webhooks/"+c.topic, c.rawQuery, c.header, c.body)
					if a.status != http.StatusAccepted {
						t.Fatalf("status %d: %s", a.status, a.body)
					}
					var res produce.WebhookResponse
					if err := json.Unmarshal(a.body, &res); err != nil {
						t.Fatal(err)
					}
					m := readRecord(t, s.Cluster, c.topic, res.Partition, res.Offset)
					if !bytes.Equal(m.Value, c.body) || string(m.Key) != c.key {
						t.Fatalf("record %q=%q, want %q=%q", m.Key, m.Value, c.key, c.body)
					}
				})
			}
			t.Run("a tampered body is refused", func(t *testing.T) {
				a := p.send(t, "/v1/webhooks/orders", "source=shop", shopSigned(whShopSecret, binary), append([]byte{1}, binary...))
				if a.status != http.StatusUnauthorized {
					t.Fatalf("status %d: %s", a.status, a.body)
				}
			})
		})
	}
}
