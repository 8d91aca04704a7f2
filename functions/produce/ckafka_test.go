package produce_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/internal/jsontest"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Test credentials. They must never appear in logs or answers.
const (
	ckWriterID   = "AKIDckafkaWriter000000000000000000"
	ckWriterKey  = "ckWriterSecretKey-0000000000000001"
	ckWriterKey2 = "ckWriterSecretKey-0000000000000002" // the rotated key
	ckReaderID   = "AKIDckafkaReader000000000000000000"
	ckReaderKey  = "ckReaderSecretKey-0000000000000003"
)

var ckEnv = map[string]string{
	"AUTH_TC3_CREDENTIALS": ckWriterID + ":" + ckWriterKey + "," + ckWriterID + ":" + ckWriterKey2 + "," + ckReaderID + ":" + ckReaderKey,
	"CKAFKA_DATAHUBS":      "datahub-orders=orders,datahub-events=events.eu,datahub-paused=orders:paused,datahub-audit=audit,datahub-ghost=ghost",
	"AUTH_POLICY": `{"rules":[{"principals":["tc3:` + ckWriterID + `"],"ops":["produce"],"topics":["orders","events.*","ghost"]},
		{"principals":["tc3:` + ckReaderID + `"],"ops":["produce"],"topics":["audit"]}]}`,
}

// ckServer is the produce binary's Build over a kfake cluster, configured from env, on an
// httptest server that records every Authorization header it receives.
type ckServer struct {
	*harness.Stack
	logs  *logtest.Buffer
	mu    sync.Mutex
	authz []string // every Authorization header received, to check the logs against
}

// startCKafka starts the produce binary with env (REQUEST_TIMEOUT 5 s unless env says
// otherwise) over a kfake cluster with opts, or over brokers when not nil.
func startCKafka(t *testing.T, env map[string]string, brokers []string, opts ...kfake.Opt) *ckServer {
	t.Helper()
	s := &ckServer{logs: &logtest.Buffer{}}
	e := map[string]string{"REQUEST_TIMEOUT": "5s"}
	maps.Copy(e, env)
	s.Stack = harness.Start(t, harness.Options{
		Routes: harness.Produce, Cluster: opts, Brokers: brokers, Auth: harness.AuthEnv, Env: e,
		Log: slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s.mu.Lock()
				s.authz = append(s.authz, r.Header.Values("Authorization")...)
				s.mu.Unlock()
				h.ServeHTTP(w, r)
			})
		},
	})
	t.Cleanup(func() { s.checkLogs(t) })
	return s
}

// checkLogs fails when a SecretKey, a signature or an Authorization header reached the logs.
func (s *ckServer) checkLogs(t *testing.T) {
	logs := s.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Error("no request log lines were captured")
	}
	secrets := []string{ckWriterKey, ckWriterKey2, ckReaderKey}
	s.mu.Lock()
	for _, a := range s.authz {
		secrets = append(secrets, a)
		if _, sig, ok := strings.Cut(a, "Signature="); ok && len(sig) >= 16 {
			secrets = append(secrets, sig)
		}
	}
	s.mu.Unlock()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(logs, sec) {
			t.Errorf("the logs contain a secret, signature or Authorization header (%d bytes)", len(sec))
		}
	}
}

// sdkClient is the official TencentCloud Go SDK's generic client aimed at s.
func (s *ckServer) sdkClient(id, key string) *common.Client {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = s.Server.Listener.Addr().String()
	cpf.HttpProfile.Scheme = "HTTP"
	return common.NewCommonClient(common.NewCredential(id, key), "ap-guangzhou", cpf)
}

type sendResult struct {
	MessageID []string `json:"MessageId"`
	RequestID string   `json:"RequestId"`
}

// send calls an action through the SDK; it returns the success body or the Tencent error.
func (s *ckServer) send(t *testing.T, id, key, action, version string, params map[string]any) (sendResult, *tcerr.TencentCloudSDKError) {
	t.Helper()
	req := tchttp.NewCommonRequest("ckafka", version, action)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	err := s.sdkClient(id, key).Send(req, resp)
	var se *tcerr.TencentCloudSDKError
	if errors.As(err, &se) {
		return sendResult{}, se
	}
	if err != nil {
		t.Fatalf("SDK call: %v", err)
	}
	var out struct{ Response sendResult }
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		t.Fatalf("decode %s: %v", resp.GetBody(), err)
	}
	return out.Response, nil
}

func msgs(kv ...string) []map[string]string {
	var out []map[string]string
	for i := 0; i+1 < len(kv); i += 2 {
		m := map[string]string{"Body": kv[i+1]}
		if kv[i] != "" {
			m["Key"] = kv[i]
		}
		out = append(out, m)
	}
	return out
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSendMessageWithTheOfficialSDK(t *testing.T) {
	s := startCKafka(t, ckEnv, nil, kfake.SeedTopics(3, "orders"), kfake.SeedTopics(2, "events.eu"), kfake.SeedTopics(1, "audit"))
	before := time.Now().UnixMilli()
	res, se := s.send(t, ckWriterID, ckWriterKey, "SendMessage", "2019-08-19", map[string]any{
		"DataHubId": "datahub-orders",
		"Message":   msgs("k1", "hello", "", "world", "k1", "again", "k2", `{"json":true}`),
	})
	if se != nil {
		t.Fatalf("SendMessage: %v", se)
	}
	if !uuidRE.MatchString(res.RequestID) {
		t.Errorf("RequestId %q is not a UUID", res.RequestID)
	}
	want := []struct{ key, body string }{{"k1", "hello"}, {"", "world"}, {"k1", "again"}, {"k2", `{"json":true}`}}
	if len(res.MessageID) != len(want) {
		t.Fatalf("MessageId = %v; want %d ids", res.MessageID, len(want))
	}
	partitionOf := map[string]int{}
	for i, id := range res.MessageID {
		f := strings.Split(id, ":")
		if len(f) != 6 || f[0] != "datahub-orders" || f[1] != "orders" {
			t.Fatalf("MessageId %q is not datahubId:topic:partition:offset:recvMs:sentMs", id)
		}
		part, _ := strconv.Atoi(f[2])
		off, _ := strconv.ParseInt(f[3], 10, 64)
		recv, _ := strconv.ParseInt(f[4], 10, 64)
		sent, _ := strconv.ParseInt(f[5], 10, 64)
		if recv < before || sent < recv {
			t.Errorf("MessageId %q: receive %d / sent %d times out of order (request at %d)", id, recv, sent, before)
		}
		w, err := s.Broker.Fetch(t.Context(), "orders", part, off, 1, 1<<20)
		if err != nil || len(w.Messages) != 1 {
			t.Fatalf("fetch orders/%d@%d: %v %+v", part, off, err, w)
		}
		m := w.Messages[0]
		if string(m.Value) != want[i].body || string(m.Key) != want[i].key || (want[i].key == "" && m.Key != nil) {
			t.Errorf("record %d: key %q value %q; want key %q value %q", i, m.Key, m.Value, want[i].key, want[i].body)
		}
		if want[i].key != "" {
			if p, ok := partitionOf[want[i].key]; ok && p != part {
				t.Errorf("key %s landed on partitions %d and %d", want[i].key, p, part)
			}
			partitionOf[want[i].key] = part
		}
	}

	t.Run("the rotated second key of a SecretId signs as well", func(t *testing.T) {
		if _, se := s.send(t, ckWriterID, ckWriterKey2, "SendMessage", "2019-08-19", map[string]any{
			"DataHubId": "datahub-events", "Message": msgs("", "x")}); se != nil {
			t.Fatal(se)
		}
	})
	t.Run("500 messages in one request are accepted", func(t *testing.T) {
		many := make([]map[string]string, 500)
		for i := range many {
			many[i] = map[string]string{"Body": "m" + strconv.Itoa(i)}
		}
		res, se := s.send(t, ckWriterID, ckWriterKey, "SendMessage", "2019-08-19", map[string]any{"DataHubId": "datahub-orders", "Message": many})
		if se != nil || len(res.MessageID) != 500 {
			t.Fatalf("%v, %d ids", se, len(res.MessageID))
		}
	})

	tooMany := make([]map[string]string, 501)
	for i := range tooMany {
		tooMany[i] = map[string]string{"Body": "m"}
	}
	errCases := []struct {
		name, id, key, action, version string
		params                         map[string]any
		code, msg                      string
	}{
		{"an unknown SecretId → AuthFailure.SecretIdNotFound", "AKIDnobody", ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": msgs("", "x")}, "AuthFailure.SecretIdNotFound", ""},
		{"a wrong SecretKey → AuthFailure.SignatureFailure", ckWriterID, "not-the-key", "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": msgs("", "x")}, "AuthFailure.SignatureFailure", ""},
		{"another action → InvalidAction", ckWriterID, ckWriterKey, "DeleteTopic", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": msgs("", "x")}, "InvalidAction", "SendMessage only"},
		{"another version → NoSuchVersion", ckWriterID, ckWriterKey, "SendMessage", "2017-03-12",
			map[string]any{"DataHubId": "datahub-orders", "Message": msgs("", "x")}, "NoSuchVersion", ""},
		{"an unknown DataHubId → ResourceNotFound", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-nope", "Message": msgs("", "x")}, "ResourceNotFound", "datahub-nope"},
		{"a paused DataHub → FailedOperation", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-paused", "Message": msgs("", "x")}, "FailedOperation", "task status suspended [datahub-paused]"},
		{"a SecretId without produce on the topic → UnauthorizedOperation", ckReaderID, ckReaderKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": msgs("", "x")}, "UnauthorizedOperation", `topic "orders"`},
		{"a DataHub whose topic does not exist → ResourceNotFound", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-ghost", "Message": msgs("", "x")}, "ResourceNotFound", "ghost"},
		{"501 messages → InvalidParameterValue", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": tooMany}, "InvalidParameterValue", "at most 500"},
		{"no messages → InvalidParameterValue", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": []any{}}, "InvalidParameterValue", ""},
		{"an empty Body → InvalidParameterValue", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": []any{map[string]string{"Body": ""}}}, "InvalidParameterValue", "Message[0].Body"},
		{"a message without Body → MissingParameter", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": []any{map[string]string{"Key": "k"}}}, "MissingParameter", "Message[0].Body"},
		{"no DataHubId → MissingParameter", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"Message": msgs("", "x")}, "MissingParameter", "DataHubId"},
		{"an unknown parameter → UnknownParameter", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": msgs("", "x"), "Topic": "audit"}, "UnknownParameter", "Topic"},
		{"an unknown message field → UnknownParameter", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": []any{map[string]string{"Body": "x", "Value": "y"}}}, "UnknownParameter", "Message[0].Value"},
		{"a lower-case parameter name → UnknownParameter", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"datahubid": "datahub-orders", "Message": msgs("", "x")}, "UnknownParameter", "datahubid"},
		{"a numeric Body → InvalidParameter", ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
			map[string]any{"DataHubId": "datahub-orders", "Message": []any{map[string]any{"Body": 5}}}, "InvalidParameter", "Message[0].Body must be a string"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, se := s.send(t, tc.id, tc.key, tc.action, tc.version, tc.params)
			if se == nil {
				t.Fatalf("succeeded; want %s", tc.code)
			}
			if se.Code != tc.code || !strings.Contains(se.Message, tc.msg) {
				t.Fatalf("error %s %q; want %s containing %q", se.Code, se.Message, tc.code, tc.msg)
			}
			if !uuidRE.MatchString(se.RequestId) {
				t.Errorf("RequestId %q is not a UUID", se.RequestId)
			}
			for _, sec := range []string{ckWriterKey, ckWriterKey2, ckReaderKey} {
				if strings.Contains(se.Message, sec) {
					t.Fatalf("the error message echoes a SecretKey")
				}
			}
		})
	}
	t.Run("nothing was written by the failed requests", func(t *testing.T) {
		if _, err := s.Broker.Fetch(t.Context(), "audit", 0, 0, 1, 1<<20); err != nil {
			t.Fatal(err)
		}
		w, _ := s.Broker.Fetch(t.Context(), "audit", 0, 0, 10, 1<<20)
		if len(w.Messages) != 0 {
			t.Fatalf("audit holds %d records", len(w.Messages))
		}
	})
}

// rawSend posts body to s with the given headers, signed by id/key at ts unless sign is false.
func (s *ckServer) rawSend(t *testing.T, body string, header map[string]string, sign bool, ts time.Time) (int, http.Header, map[string]any) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-TC-Action", "SendMessage")
	r.Header.Set("X-TC-Version", "2019-08-19")
	for k, v := range header {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	if sign {
		tc3.Sign(r, []byte(body), ckWriterID, ckWriterKey, "ckafka", ts)
	}
	if a, ok := header["Authorization"]; ok {
		r.Header.Set("Authorization", a)
	}
	res, err := s.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out struct{ Response map[string]any }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer %s is not a Tencent envelope: %v", b, err)
	}
	return res.StatusCode, res.Header, out.Response
}

func TestSendMessageRawRequests(t *testing.T) {
	env := map[string]string{"HTTP_MAX_BODY_BYTES": "2048"}
	for k, v := range ckEnv {
		env[k] = v
	}
	s := startCKafka(t, env, nil, kfake.SeedTopics(1, "orders"))
	good := `{"DataHubId":"datahub-orders","Message":[{"Key":"k","Body":"v"}]}`
	cases := []struct {
		name   string
		body   string
		header map[string]string
		sign   bool
		ts     time.Time
		code   string
	}{
		{"a request signed by the kafkafn signer succeeds", good, nil, true, time.Now(), ""},
		{"a request signed 6 minutes ago → AuthFailure.SignatureExpire", good, nil, true, time.Now().Add(-6 * time.Minute), "AuthFailure.SignatureExpire"},
		{"a request signed 6 minutes ahead → AuthFailure.SignatureExpire", good, nil, true, time.Now().Add(6 * time.Minute), "AuthFailure.SignatureExpire"},
		{"no Authorization → AuthFailure.InvalidAuthorization", good, nil, false, time.Time{}, "AuthFailure.InvalidAuthorization"},
		{"a bearer token → AuthFailure.InvalidAuthorization", good, map[string]string{"Authorization": "Bearer abc.def.ghi"}, false, time.Time{}, "AuthFailure.InvalidAuthorization"},
		{"an unsigned payload → AuthFailure.InvalidAuthorization", good, map[string]string{"X-TC-Content-SHA256": "UNSIGNED-PAYLOAD"}, true, time.Now(), "AuthFailure.InvalidAuthorization"},
		{"no X-TC-Action → MissingParameter", good, map[string]string{"X-TC-Action": ""}, true, time.Now(), "MissingParameter"},
		{"no X-TC-Version → MissingParameter", good, map[string]string{"X-TC-Version": ""}, true, time.Now(), "MissingParameter"},
		{"a region header is optional and any value is accepted", good, map[string]string{"X-TC-Region": "ap-singapore"}, true, time.Now(), ""},
		{"malformed JSON → InvalidParameter", `{"DataHubId":`, nil, true, time.Now(), "InvalidParameter"},
		{"a JSON array → InvalidParameter", `[]`, nil, true, time.Now(), "InvalidParameter"},
		{"trailing data → InvalidParameter", good + `{}`, nil, true, time.Now(), "InvalidParameter"},
		{"a signed text/plain body → InvalidParameter", good, map[string]string{"Content-Type": "text/plain"}, true, time.Now(), "InvalidParameter"},
		{"a body over HTTP_MAX_BODY_BYTES → RequestSizeLimitExceeded",
			`{"DataHubId":"datahub-orders","Message":[{"Body":"` + strings.Repeat("x", 4096) + `"}]}`, nil, true, time.Now(), "RequestSizeLimitExceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, resp := s.rawSend(t, tc.body, tc.header, tc.sign, tc.ts)
			if status != http.StatusOK || h.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d content type %q; want 200 application/json", status, h.Get("Content-Type"))
			}
			if id, _ := resp["RequestId"].(string); !uuidRE.MatchString(id) {
				t.Errorf("RequestId %q", id)
			}
			e, _ := resp["Error"].(map[string]any)
			if tc.code == "" {
				if e != nil {
					t.Fatalf("error %v", e)
				}
				if ids, _ := resp["MessageId"].([]any); len(ids) != 1 {
					t.Fatalf("MessageId %v", resp["MessageId"])
				}
				return
			}
			if e == nil || e["Code"] != tc.code {
				t.Fatalf("answer %v; want error %s", resp, tc.code)
			}
		})
	}
	t.Run("GET / is not SendMessage → 405", func(t *testing.T) {
		res, err := s.Client().Get(s.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	t.Run("POST to another unknown path is a native 404, not SendMessage", func(t *testing.T) {
		res, err := s.Client().Post(s.URL+"/nope", "application/json", strings.NewReader(good))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
}

func TestSendMessageKafkaDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	env := map[string]string{"KAFKA_DIAL_TIMEOUT": "500ms"}
	maps.Copy(env, ckEnv)
	s := startCKafka(t, env, []string{dead})
	_, se := s.send(t, ckWriterID, ckWriterKey, "SendMessage", "2019-08-19",
		map[string]any{"DataHubId": "datahub-orders", "Message": msgs("", "x")})
	if se == nil || se.Code != "ResourceUnavailable.KafkaStorageError" {
		t.Fatalf("error %v; want ResourceUnavailable.KafkaStorageError", se)
	}
}

func TestSendMessageDevMode(t *testing.T) {
	s := startCKafka(t, map[string]string{"AUTH_INSECURE_DEV": "true", "CKAFKA_DATAHUBS": "datahub-orders=orders"}, nil, kfake.SeedTopics(1, "orders"))
	status, _, resp := s.rawSend(t, `{"DataHubId":"datahub-orders","Message":[{"Body":"v"}]}`, nil, false, time.Time{})
	if status != 200 || resp["Error"] != nil {
		t.Fatalf("unsigned SendMessage in dev mode: %d %v", status, resp)
	}
}

func TestLoadCKafka(t *testing.T) {
	t.Run("credentials without datahubs load: TC3 signs the produce routes", func(t *testing.T) {
		env := map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa:k", "KAFKA_BROKERS": "127.0.0.1:9092"}
		if _, err := produce.LoadDeps(platform.Env{Getenv: func(k string) string { return env[k] }, Platform: "aws"}, produce.Deps{}); err != nil {
			t.Fatal(err)
		}
	})
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"datahubs without credentials fail naming AUTH_TC3_CREDENTIALS", map[string]string{"CKAFKA_DATAHUBS": "datahub-a=a", "AUTH_ENTRA_TENANT_ID": "x"}, "AUTH_TC3_CREDENTIALS: is required"},
		{"a malformed credential fails without echoing it", map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa-topsecret", "CKAFKA_DATAHUBS": "datahub-a=a"}, "AUTH_TC3_CREDENTIALS: entry 1 must be secretId:secretKey"},
		{"three keys for one SecretId fail", map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa:k1,AKIDa:k2,AKIDa:k3", "CKAFKA_DATAHUBS": "datahub-a=a"}, "more than two keys"},
		{"a malformed datahub fails", map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa:k", "CKAFKA_DATAHUBS": "datahub-a"}, "CKAFKA_DATAHUBS: entry 1"},
		{"a bad topic fails", map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa:k", "CKAFKA_DATAHUBS": "datahub-a=a b"}, "is not a Kafka topic name"},
		{"a duplicate datahub fails", map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa:k", "CKAFKA_DATAHUBS": "datahub-a=a,datahub-a=b"}, "listed twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := platform.Env{Getenv: func(k string) string { return tc.env[k] }, Platform: "aws"}
			_, err := produce.LoadDeps(env, produce.Deps{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadDeps error %v; want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "k2") {
				t.Fatalf("the error echoes a key: %v", err)
			}
		})
	}
}

func FuzzDecodeSendMessage(f *testing.F) {
	f.Add([]byte(`{"DataHubId":"datahub-a","Message":[{"Key":"k","Body":"v"},{"Body":"w"}]}`))
	f.Add([]byte(`{"DataHubId":"d","Message":[{"Body":null}]}`))
	f.Add([]byte(`{"DataHubId":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("{\"DataHubId\":\"d\",\"Message\":[{\"Body\":\"a\xffb\"}]}"))
	f.Add([]byte(`{"DataHubId":"d","Message":[{"Body":"\ud800"}]}`))
	f.Add([]byte(`{"DataHubId":"d","DataHubId":"e","Message":[{"Body":"b"}]}`))
	f.Add([]byte(`{"DataHubId":"d","Message":[{"Body":"a","Body":"b","Key":"\u00e9"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := produce.DecodeSendMessage(b, 500)
		if !jsontest.Accepted(t, b, err) {
			return
		}
		if req.DataHubID == "" || len(req.Messages) == 0 || len(req.Messages) > 500 {
			t.Fatalf("accepted %+v", req)
		}
		// Every Body and Key is exactly the text sent (encoding/json is exact once the text
		// rules hold).
		var want struct {
			Message []struct{ Key, Body *string }
		}
		if err := json.Unmarshal(b, &want); err != nil || len(want.Message) != len(req.Messages) {
			t.Fatalf("encoding/json reads %+v (%v)", want, err)
		}
		for i, m := range req.Messages {
			if m.Body == "" || (m.Key != nil && *m.Key == "") {
				t.Fatalf("accepted an empty body or key: %+v", m)
			}
			if w := want.Message[i]; w.Body == nil || *w.Body != m.Body || (m.Key != nil && (w.Key == nil || *w.Key != *m.Key)) {
				t.Fatalf("message %d decoded as %+v, encoding/json %+v", i, m, w)
			}
		}
	})
}

func BenchmarkDecodeSendMessage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"DataHubId":"datahub-a","Message":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"Key":"k%d","Body":"value %d"}`, i, i)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := produce.DecodeSendMessage(body, 500); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSendMessagePartialFailure(t *testing.T) {
	s := startCKafka(t, ckEnv, nil, kfake.SeedTopics(2, "orders"))
	s.Cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "orders", Partitions: []int32{1},
		Err: kerr.MessageTooLarge, Count: -1})
	var ms []map[string]string
	for i := range 10 {
		ms = append(ms, map[string]string{"Key": "k" + strconv.Itoa(i), "Body": "v"})
	}
	_, se := s.send(t, ckWriterID, ckWriterKey, "SendMessage", "2019-08-19", map[string]any{"DataHubId": "datahub-orders", "Message": ms})
	if se == nil {
		t.Fatal("succeeded although partition 1 refused its records")
	}
	w, err := s.Broker.Fetch(t.Context(), "orders", 0, 0, 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	written := len(w.Messages)
	if written == 0 || written == 10 {
		t.Fatalf("partition 0 holds %d of the 10 records; the keys should spread over both partitions", written)
	}
	if se.Code != "LimitExceeded" || !strings.Contains(se.Message, fmt.Sprintf("%d of 10 messages were written", written)) {
		t.Fatalf("error %s %q; want LimitExceeded saying %d of 10 were written", se.Code, se.Message, written)
	}
}

// TestSendMessageRefusesInvalidText: a Body, Key or name that is not valid UTF-8, or a repeated
// parameter, is InvalidParameter and nothing is written (encoding/json alone would store U+FFFD
// or let the last duplicate win).
func TestSendMessageRefusesInvalidText(t *testing.T) {
	s := startCKafka(t, ckEnv, nil, kfake.SeedTopics(1, "orders"), kfake.SeedTopics(1, "events.eu"))
	cases := []struct{ name, body, msg string }{
		{"invalid UTF-8 in a Body", "{\"DataHubId\":\"datahub-orders\",\"Message\":[{\"Body\":\"ok\"},{\"Body\":\"ab\xffcd\"}]}", "Message[1]: Body is not valid UTF-8"},
		{"invalid UTF-8 in a Key", "{\"DataHubId\":\"datahub-orders\",\"Message\":[{\"Key\":\"\xc3\",\"Body\":\"v\"}]}", "Message[0]: Key is not valid UTF-8"},
		{"invalid UTF-8 in a name", "{\"DataHubId\":\"datahub-orders\",\"Message\":[{\"Body\":\"v\",\"\xff\":\"v\"}]}", "Message[0]: a field name is not valid UTF-8"},
		{"an unpaired surrogate escape", `{"DataHubId":"datahub-orders","Message":[{"Body":"\ud83d"}]}`, "Message[0]: Body is not valid UTF-8 (an unpaired surrogate escape)"},
		{"a repeated DataHubId", `{"DataHubId":"datahub-events","DataHubId":"datahub-orders","Message":[{"Body":"v"}]}`, "duplicate field DataHubId"},
		{"a repeated Message", `{"DataHubId":"datahub-orders","Message":[{"Body":"a"}],"Message":[{"Body":"b"}]}`, "duplicate field Message"},
		{"a repeated Body", `{"DataHubId":"datahub-orders","Message":[{"Body":"a","Body":"b"}]}`, "Message[0]: duplicate field Body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, resp := s.rawSend(t, tc.body, nil, true, time.Now())
			e, _ := resp["Error"].(map[string]any)
			if status != http.StatusOK || e == nil || e["Code"] != "InvalidParameter" || e["Message"] != tc.msg {
				t.Fatalf("status %d answer %v; want InvalidParameter %q", status, resp, tc.msg)
			}
		})
	}
	for _, topic := range []string{"orders", "events.eu"} {
		offs, err := s.Broker.Offsets(t.Context(), topic, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		if offs[0].Latest != 0 {
			t.Fatalf("refused requests wrote %d records to %s", offs[0].Latest, topic)
		}
	}
}
