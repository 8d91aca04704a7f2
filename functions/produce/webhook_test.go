package produce_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/webhook/webhooktest"
)

// Secrets of the test sources. The GitHub one is the secret of GitHub's documented example.
const (
	whStdSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	whStdOther     = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk="
	whGitHubSecret = "It's a Secret to Everybody"
	whShopSecret   = "shop secret with at least sixteen bytes"
)

// whSources is WEBHOOK_SECRETS for the tests; the GitHub secret comes through secretEnv.
const whSources = `{
  "billing": {"scheme": "standard", "secret": "` + whStdSecret + `", "topics": ["events"]},
  "github":  {"scheme": "github", "secretEnv": "GITHUB_WEBHOOK_SECRET", "topics": ["github-*"]},
  "shop":    {"scheme": "hmac-sha256", "secret": "` + whShopSecret + `", "header": "X-Shop-Hmac-Sha256",
              "encoding": "base64", "topics": ["*"], "key": "header:Idempotency-Key,query:key",
              "headers": ["X-Shop-Topic"]}
}`

type whServer struct {
	*harness.Stack
}

// startWebhooks runs the produce binary with the test sources over a kfake cluster with the
// topics events, github-events, github-audit and orders (three partitions each).
func startWebhooks(t *testing.T, maxBody int64) *whServer {
	t.Helper()
	return startWebhooksWith(t, maxBody, "")
}

// startWebhooksWith is startWebhooks with the AUTH_POLICY document authPolicy (empty: the
// default policy). The other routes take an API key no test sends: the webhook route
// needs no authenticator, but a deployment configures one for the rest.
func startWebhooksWith(t *testing.T, maxBody int64, authPolicy string) *whServer {
	t.Helper()
	env := map[string]string{
		"WEBHOOK_SECRETS": whSources, "GITHUB_WEBHOOK_SECRET": whGitHubSecret,
		"HTTP_MAX_BODY_BYTES": strconv.FormatInt(maxBody, 10),
		"AUTH_API_KEYS":       `{"unused": {"sha256": "` + strings.Repeat("0", 64) + `"}}`,
	}
	if authPolicy != "" {
		env["AUTH_POLICY"] = authPolicy
	}
	return &whServer{harness.Start(t, harness.Options{
		Routes: harness.Produce, Auth: harness.AuthEnv, Env: env,
		Cluster: []kfake.Opt{kfake.SeedTopics(3, "events", "github-events", "github-audit", "orders")},
	})}
}

// delivery is one webhook request.
type delivery struct {
	path   string
	body   []byte
	header http.Header
}

func (s *whServer) post(t *testing.T, d delivery) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", s.URL+d.path, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range d.header {
		req.Header[k] = vs
	}
	r := s.DoRequest(t, req)
	return r.Status, r.Body
}

// stdSigned signs body with the Standard Webhooks reference library.
func stdSigned(t *testing.T, secret, id string, ts time.Time, body []byte, contentType string) http.Header {
	t.Helper()
	h := webhooktest.Sign(t, secret, id, ts, body)
	h.Set("Content-Type", contentType)
	return h
}

// shopSigned signs body with a plain HMAC-SHA256, base64, as the shop source expects.
func shopSigned(secret string, body []byte, extra ...string) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Shop-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	for i := 0; i+1 < len(extra); i += 2 {
		h.Add(extra[i], extra[i+1])
	}
	return h
}

// githubExample is GitHub's documented example delivery ("Validating webhook deliveries").
func githubExample() delivery {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	h.Set("X-GitHub-Event", "ping")
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	h.Set("X-GitHub-Hook-ID", "292430182")
	h.Set("User-Agent", "GitHub-Hookshot/044aadd")
	return delivery{path: "/v1/webhooks/github-events?source=github", body: []byte("Hello, World!"), header: h}
}

type wantRecord struct {
	topic   string
	key     []byte // nil: no key
	value   []byte
	headers []kgo.RecordHeader
}

func hdrs(kv ...string) []kgo.RecordHeader {
	out := make([]kgo.RecordHeader, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, kgo.RecordHeader{Key: kv[i], Value: []byte(kv[i+1])})
	}
	return out
}

func TestWebhookAccepted(t *testing.T) {
	s := startWebhooks(t, 1<<20)
	now := time.Now()
	stdBody := []byte(`{"type":"invoice.paid","data":{"id":"in_1","amount":4200}}`)
	binary := []byte{0, 1, 2, 0xff, 0xfe, '\n', 'x'}
	tests := []struct {
		name string
		d    delivery
		want wantRecord
	}{
		{
			name: "a Standard Webhooks delivery signed by the reference library is written with webhook-id as key",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: stdBody,
				header: stdSigned(t, whStdSecret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, stdBody, "application/json")},
			want: wantRecord{topic: "events", key: []byte("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"), value: stdBody, headers: hdrs(
				"content-type", "application/json",
				"webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
				"webhook-timestamp", strconv.FormatInt(now.Unix(), 10),
				"kafkafn-webhook-source", "billing")},
		},
		{
			name: "a delivery 4 minutes old is still accepted",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: stdBody,
				header: stdSigned(t, whStdSecret, "msg_old", now.Add(-4*time.Minute), stdBody, "application/json")},
			want: wantRecord{topic: "events", key: []byte("msg_old"), value: stdBody, headers: hdrs(
				"content-type", "application/json",
				"webhook-id", "msg_old",
				"webhook-timestamp", strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10),
				"kafkafn-webhook-source", "billing")},
		},
		{
			name: "GitHub's documented example is written with X-GitHub-Delivery as key",
			d:    githubExample(),
			want: wantRecord{topic: "github-events", key: []byte("72d3162e-cc78-11e3-81ab-4c9367dc0958"), value: []byte("Hello, World!"), headers: hdrs(
				"content-type", "application/json",
				"x-github-event", "ping",
				"x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958",
				"x-github-hook-id", "292430182",
				"kafkafn-webhook-source", "github")},
		},
		{
			name: "a generic HMAC delivery takes its key from the Idempotency-Key header",
			d: delivery{path: "/v1/webhooks/orders?source=shop&key=from-query", body: binary,
				header: shopSigned(whShopSecret, binary, "Idempotency-Key", "idem-1", "X-Shop-Topic", "orders/create", "X-Shop-Topic", "orders/paid")},
			want: wantRecord{topic: "orders", key: []byte("idem-1"), value: binary, headers: hdrs(
				"content-type", "application/octet-stream",
				"x-shop-topic", "orders/create",
				"x-shop-topic", "orders/paid",
				"kafkafn-webhook-source", "shop")},
		},
		{
			name: "a generic HMAC delivery without the header takes its key from the query",
			d:    delivery{path: "/v1/webhooks/orders?source=shop&key=from-query", body: binary, header: shopSigned(whShopSecret, binary)},
			want: wantRecord{topic: "orders", key: []byte("from-query"), value: binary, headers: hdrs(
				"content-type", "application/octet-stream",
				"kafkafn-webhook-source", "shop")},
		},
		{
			name: "a generic HMAC delivery with neither has no key",
			d:    delivery{path: "/v1/webhooks/orders?source=shop", body: binary, header: shopSigned(whShopSecret, binary)},
			want: wantRecord{topic: "orders", value: binary, headers: hdrs(
				"content-type", "application/octet-stream",
				"kafkafn-webhook-source", "shop")},
		},
		{
			name: "an empty body is an empty value, not a tombstone",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: []byte{},
				header: stdSigned(t, whStdSecret, "msg_empty", now, nil, "text/plain")},
			want: wantRecord{topic: "events", key: []byte("msg_empty"), value: []byte{}, headers: hdrs(
				"content-type", "text/plain",
				"webhook-id", "msg_empty",
				"webhook-timestamp", strconv.FormatInt(now.Unix(), 10),
				"kafkafn-webhook-source", "billing")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := s.post(t, tt.d)
			if status != http.StatusAccepted {
				t.Fatalf("status %d, body %s", status, body)
			}
			var res produce.WebhookResponse
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&res); err != nil {
				t.Fatalf("decode %s: %v", body, err)
			}
			if res.Topic != tt.want.topic || res.Offset < 0 || res.Partition < 0 || res.Partition > 2 {
				t.Fatalf("answer %+v", res)
			}
			if d := time.Since(time.UnixMilli(res.Timestamp)); d < 0 || d > time.Minute {
				t.Errorf("timestamp %d is not the time of the request", res.Timestamp)
			}
			m := readRecord(t, s.Cluster, res.Topic, res.Partition, res.Offset)
			if !bytes.Equal(m.Value, tt.want.value) || (m.Value == nil) != (tt.want.value == nil) {
				t.Errorf("value = %q, want %q", m.Value, tt.want.value)
			}
			if !bytes.Equal(m.Key, tt.want.key) || (m.Key == nil) != (tt.want.key == nil) {
				t.Errorf("key = %q, want %q", m.Key, tt.want.key)
			}
			if got, want := fmtHeaders(m.Headers), fmtHeaders(tt.want.headers); got != want {
				t.Errorf("headers\n got %s\nwant %s", got, want)
			}
			if m.Timestamp.UnixMilli() != res.Timestamp {
				t.Errorf("record time %d, answer says %d", m.Timestamp.UnixMilli(), res.Timestamp)
			}
		})
	}
}

func fmtHeaders(hs []kgo.RecordHeader) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(strconv.Quote(h.Key) + "=" + strconv.Quote(string(h.Value)) + " ")
	}
	return b.String()
}

func TestWebhookRefused(t *testing.T) {
	s := startWebhooks(t, 1024)
	now := time.Now()
	body := []byte(`{"type":"invoice.paid"}`)
	std := func(secret string, ts time.Time, del ...string) http.Header {
		h := stdSigned(t, secret, "msg_1", ts, body, "application/json")
		for _, d := range del {
			h.Del(d)
		}
		return h
	}
	gh := githubExample()
	ghTampered := githubExample()
	ghTampered.body = []byte("Hello, World?")
	ghUnsigned := githubExample()
	ghUnsigned.header.Del("X-Hub-Signature-256")
	big := bytes.Repeat([]byte("x"), 1025)
	tests := []struct {
		name   string
		d      delivery
		status int
		code   string
	}{
		{name: "a tampered Standard Webhooks body → 401", status: 401, code: "invalid_signature",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: []byte(`{"type":"invoice.void"}`), header: std(whStdSecret, now)}},
		{name: "a tampered GitHub body → 401", status: 401, code: "invalid_signature", d: ghTampered},
		{name: "a wrong Standard Webhooks secret → 401", status: 401, code: "invalid_signature",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: body, header: std(whStdOther, now)}},
		{name: "a wrong generic HMAC secret → 401", status: 401, code: "invalid_signature",
			d: delivery{path: "/v1/webhooks/orders?source=shop", body: body, header: shopSigned("another secret of sixteen bytes", body)}},
		{name: "a GitHub signature sent to the Standard Webhooks source → 401", status: 401, code: "missing_signature",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: gh.body, header: gh.header}},
		{name: "a timestamp 6 minutes old → 401", status: 401, code: "stale_timestamp",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: body, header: std(whStdSecret, now.Add(-6*time.Minute))}},
		{name: "a timestamp 6 minutes ahead → 401", status: 401, code: "stale_timestamp",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: body, header: std(whStdSecret, now.Add(6*time.Minute))}},
		{name: "a missing webhook-signature → 401", status: 401, code: "missing_signature",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: body, header: std(whStdSecret, now, "webhook-signature")}},
		{name: "a missing webhook-timestamp → 401", status: 401, code: "missing_signature",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: body, header: std(whStdSecret, now, "webhook-timestamp")}},
		{name: "a missing webhook-id → 401", status: 401, code: "missing_signature",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: body, header: std(whStdSecret, now, "webhook-id")}},
		{name: "a missing X-Hub-Signature-256 → 401", status: 401, code: "missing_signature", d: ghUnsigned},
		{name: "an unknown source → 401", status: 401, code: "unknown_webhook_source",
			d: delivery{path: "/v1/webhooks/events?source=stripe", body: body, header: std(whStdSecret, now)}},
		{name: "no source → 401", status: 401, code: "missing_webhook_source",
			d: delivery{path: "/v1/webhooks/events", body: body, header: std(whStdSecret, now)}},
		{name: "a body over the limit → 413", status: 413, code: "body_too_large",
			d: delivery{path: "/v1/webhooks/events?source=billing", body: big, header: stdSigned(t, whStdSecret, "msg_big", now, big, "text/plain")}},
		{name: "a topic outside the source's allow-list → 403", status: 403, code: "topic_not_allowed",
			d: delivery{path: "/v1/webhooks/orders?source=billing", body: body, header: std(whStdSecret, now)}},
		{name: "a GitHub delivery to a topic outside github-* → 403", status: 403, code: "topic_not_allowed",
			d: delivery{path: "/v1/webhooks/events?source=github", body: gh.body, header: gh.header}},
		{name: "an unknown topic the source may write → 404", status: 404, code: "unknown_topic",
			d: delivery{path: "/v1/webhooks/github-unknown?source=github", body: gh.body, header: gh.header}},
		{name: "an invalid topic name → 400", status: 400, code: "invalid_topic",
			d: delivery{path: "/v1/webhooks/bad%20topic?source=billing", body: body, header: std(whStdSecret, now)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := s.post(t, tt.d)
			if status != tt.status {
				t.Fatalf("status %d, want %d; body %s", status, tt.status, resp)
			}
			var eb httpio.ErrorBody
			if err := json.Unmarshal(resp, &eb); err != nil {
				t.Fatalf("error body %s: %v", resp, err)
			}
			if tt.code != "" && eb.Error.Code != tt.code {
				t.Errorf("code %q, want %q (%s)", eb.Error.Code, tt.code, eb.Error.Message)
			}
			for _, secret := range []string{whStdSecret, strings.TrimPrefix(whStdSecret, "whsec_"), whGitHubSecret, whShopSecret} {
				if bytes.Contains(resp, []byte(secret)) {
					t.Errorf("the error body shows a secret: %s", resp)
				}
			}
		})
	}
	for _, topic := range []string{"events", "github-events", "github-audit", "orders"} {
		if n := countRecords(t, s.Cluster, topic); n != 0 {
			t.Errorf("refused deliveries wrote %d records to %s", n, topic)
		}
	}
}

// TestWebhookSignatureIsTheCredential checks that the webhook route needs no bearer token
// and that a bearer token does not replace the signature.
func TestWebhookSignatureIsTheCredential(t *testing.T) {
	s := startWebhooks(t, 1<<20)
	gh := githubExample()
	status, body := s.post(t, gh)
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body)
	}
	// A bearer token is not a substitute for the signature.
	gh.header.Del("X-Hub-Signature-256")
	gh.header.Set("Authorization", "Bearer eyJhbGciOiJub25lIn0.e30.")
	if status, body := s.post(t, gh); status != http.StatusUnauthorized {
		t.Fatalf("status %d without signature but with a bearer token: %s", status, body)
	}
}

// readRecord reads one record with franz-go's client, a path independent of kafkafn's
// broker package (and one that tells an empty value from a null one).
func readRecord(t *testing.T, c *brokertest.Cluster, topic string, partition int, offset int64) *kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {int32(partition): kgo.NewOffset().At(offset)}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("read %s/%d@%d: %v", topic, partition, offset, err)
		}
		for _, r := range fs.Records() {
			if r.Offset == offset {
				return r
			}
		}
	}
}

// countRecords sums the high watermarks of topic's three partitions.
func countRecords(t *testing.T, c *brokertest.Cluster, topic string) int64 {
	t.Helper()
	var n int64
	for p := range 3 {
		conn, err := kafka.DialLeader(t.Context(), "tcp", c.ListenAddrs()[0], topic, p)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		n += last
	}
	return n
}

// TestWebhookPolicy checks that the source's principal (scheme "webhook", ID the source
// name) goes through the Guard's authorisation policy, here a real AUTH_POLICY document.
func TestWebhookPolicy(t *testing.T) {
	s := startWebhooksWith(t, 1<<20, `{"rules": [
		{"principals": ["*"], "ops": ["produce"], "topics": ["github-events"]}]}`)
	tests := []struct {
		name   string
		topic  string
		status int
		code   string
	}{
		{name: "a topic the policy and the source allow → 202", topic: "github-events", status: 202},
		{name: "a topic the source allows but the policy does not → 403", topic: "github-audit", status: 403, code: "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := githubExample()
			d.path = "/v1/webhooks/" + tt.topic + "?source=github"
			status, body := s.post(t, d)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if tt.code != "" {
				var eb httpio.ErrorBody
				if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code != tt.code {
					t.Fatalf("body %s, want code %q", body, tt.code)
				}
			}
		})
	}
	if n := countRecords(t, s.Cluster, "github-audit"); n != 0 {
		t.Errorf("a forbidden delivery wrote %d records", n)
	}
}

// TestWebhookRefusesInternalTopics: a correctly signed delivery from a source allowed every
// topic ("*") may still not write to Kafka's internal topics; it is refused before Kafka is
// asked anything (the topics do not even exist in kfake, which would answer 404).
func TestWebhookRefusesInternalTopics(t *testing.T) {
	s := startWebhooks(t, 1<<20)
	for _, topic := range []string{"__consumer_offsets", "__transaction_state", "__anything"} {
		t.Run(topic+" → 403 internal_topic", func(t *testing.T) {
			body := []byte(`{"x":1}`)
			status, out := s.post(t, delivery{path: "/v1/webhooks/" + topic + "?source=shop", body: body, header: shopSigned(whShopSecret, body)})
			var eb httpio.ErrorBody
			if status != http.StatusForbidden || json.Unmarshal(out, &eb) != nil || eb.Error.Code != "internal_topic" {
				t.Fatalf("%d %s; want 403 internal_topic", status, out)
			}
		})
	}
}
