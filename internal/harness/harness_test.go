package harness_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

const produceOne = `{"records":[{"value":"v"}]}`

// TestRouteSetsServeTheirOwnRoutes: each route set is its binary's Build, with its routes
// and none of the others.
func TestRouteSetsServeTheirOwnRoutes(t *testing.T) {
	const (
		produce  = "POST /v1/producer/topics/orders"
		consume  = "GET /v1/consumer/topics/orders/partitions/0/offsets/0"
		metadata = "GET /v1/metadata/topics"
	)
	cases := []struct {
		routes string
		env    map[string]string
		served []string
		absent []string
	}{
		{harness.All, nil, []string{produce, consume, metadata}, nil},
		{harness.Produce, nil, []string{produce}, []string{consume, metadata}},
		{harness.ConsumeWindow, nil, []string{consume}, []string{produce, metadata}},
		{harness.ListTopics, nil, []string{metadata}, []string{produce, consume}},
		{harness.Token, map[string]string{"TOKEN_TENANT_ID": "contoso.onmicrosoft.com"}, nil, []string{produce, consume, metadata}},
	}
	for _, tc := range cases {
		t.Run(tc.routes, func(t *testing.T) {
			s := harness.Start(t, harness.Options{Routes: tc.routes, Env: tc.env, Cluster: []kfake.Opt{kfake.SeedTopics(1, "orders")}})
			send := func(route string) harness.Response {
				method, path, _ := strings.Cut(route, " ")
				body := ""
				if method == "POST" {
					body = produceOne
				}
				return s.Do(t, method, path, body)
			}
			for _, route := range tc.served {
				if r := send(route); r.Status != http.StatusOK {
					t.Errorf("%s: %d %s", route, r.Status, r.Body)
				}
			}
			for _, route := range tc.absent {
				if r := send(route); r.Status != http.StatusNotFound {
					t.Errorf("%s is served by the %s binary: %d %s", route, tc.routes, r.Status, r.Body)
				}
			}
		})
	}
}

// TestEnvConfiguresTheProduct: limits and auth come from the environment the product reads.
func TestEnvConfiguresTheProduct(t *testing.T) {
	sum := sha256.Sum256([]byte("s3cret"))
	var logs logtest.Buffer
	s := harness.Start(t, harness.Options{
		Auth:    harness.AuthEnv,
		Cluster: []kfake.Opt{kfake.SeedTopics(1, "orders")},
		Env: map[string]string{
			"AUTH_API_KEYS":       `{"ci": {"sha256": "` + hex.EncodeToString(sum[:]) + `"}}`,
			"HTTP_MAX_BODY_BYTES": "1024",
		},
		Log: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	if s.Limits.MaxBodyBytes != 1024 {
		t.Errorf("Limits.MaxBodyBytes %d, want 1024 from HTTP_MAX_BODY_BYTES", s.Limits.MaxBodyBytes)
	}
	if r := s.Do(t, "GET", "/v1/metadata/topics", ""); r.Status != http.StatusUnauthorized {
		t.Errorf("no credentials: %d %s", r.Status, r.Body)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ci:s3cret"))
	if r := s.Do(t, "GET", "/v1/metadata/topics", "", "Authorization", basic); r.Status != http.StatusOK {
		t.Errorf("with the API key: %d %s", r.Status, r.Body)
	}
	big := `{"records":[{"value":"` + strings.Repeat("x", 2000) + `"}]}`
	if r := s.Do(t, "POST", "/v1/producer/topics/orders", big, "Authorization", basic); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over HTTP_MAX_BODY_BYTES: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(logs.String(), `"msg":"request"`) {
		t.Errorf("Options.Log did not receive the request log: %s", logs.String())
	}
}

// TestProxyCarriesEveryKafkaConnection: with Proxy the product, configured from KAFKA_BROKERS
// alone, reaches Kafka only through the proxy, and Down/Up take effect.
func TestProxyCarriesEveryKafkaConnection(t *testing.T) {
	s := harness.Start(t, harness.Options{Proxy: true, Cluster: []kfake.Opt{kfake.SeedTopics(1, "orders")},
		Env: map[string]string{"REQUEST_TIMEOUT": "2s"}})
	if r := s.Do(t, "POST", "/v1/producer/topics/orders", produceOne); r.Status != http.StatusOK {
		t.Fatalf("produce: %d %s", r.Status, r.Body)
	}
	if s.Proxy.Accepted() == 0 || s.Proxy.Open() == 0 {
		t.Fatalf("the product's connections did not cross the proxy (accepted %d, open %d)", s.Proxy.Accepted(), s.Proxy.Open())
	}
	s.Proxy.Down()
	r := s.Do(t, "POST", "/v1/producer/topics/orders", produceOne)
	var eb httpio.ErrorBody
	if err := json.Unmarshal(r.Body, &eb); err != nil || r.Status < 500 || !eb.Error.Retryable {
		t.Fatalf("produce with the proxy down: %d %s", r.Status, r.Body)
	}
	s.Proxy.Up()
	if r := s.Do(t, "POST", "/v1/producer/topics/orders", produceOne); r.Status != http.StatusOK {
		t.Fatalf("produce after Up (the same advertised ports): %d %s", r.Status, r.Body)
	}
}

// TestPlatforms: each front door reaches the same App.
func TestPlatforms(t *testing.T) {
	for _, p := range []string{harness.HTTP, harness.Local, harness.Azure} {
		t.Run(p, func(t *testing.T) {
			s := harness.Start(t, harness.Options{Platform: p})
			if r := s.Do(t, "GET", "/v1/status", ""); r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	t.Run(harness.None, func(t *testing.T) {
		s := harness.Start(t, harness.Options{Platform: harness.None})
		if s.URL != "" || s.Server != nil {
			t.Fatalf("a server was started: %q", s.URL)
		}
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/status", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("Handler: %d %s", rec.Code, rec.Body)
		}
		ev := `{"version":"2.0","routeKey":"GET /v1/status","rawPath":"/v1/status","rawQueryString":"","headers":{},
			"requestContext":{"requestId":"r1","http":{"method":"GET","path":"/v1/status","protocol":"HTTP/1.1","sourceIp":"192.0.2.1"}}}`
		out, err := s.Lambda().Invoke(t.Context(), []byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			StatusCode int `json:"statusCode"`
		}
		if err := json.Unmarshal(out, &res); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("Lambda: %s (%v)", out, err)
		}
	})
}

// TestLambdaPlatform: the Lambda platform builds for AWS (the authorizer mode starts) and
// answers a recorded Function URL event re-aimed at another route, through the adapter.
func TestLambdaPlatform(t *testing.T) {
	s := harness.Start(t, harness.Options{Platform: harness.Lambda, Auth: harness.AuthEnv,
		Env: map[string]string{"AUTH_AWS_AUTHORIZER": "true", "AUTH_POLICY": `{"rules":[{"principals":["*"],"ops":["*"],"topics":["*"]}]}`}})
	if s.URL != "" || s.Server != nil {
		t.Fatalf("a server was started: %q", s.URL)
	}
	fixture, err := os.ReadFile("../../shared/platform/awslambda/testdata/aws_auth_function_url_iam_user.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := harness.LambdaEvent(fixture, "GET", "/v1/status?x=1", "")
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Invoke(t, ev); r.Status != http.StatusOK || r.Header.Get("Content-Type") == "" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
}

// TestNewNeedsBrokers: New starts no cluster of its own.
func TestNewNeedsBrokers(t *testing.T) {
	if _, err := harness.New(context.Background(), harness.Options{}); err == nil {
		t.Fatal("New without Options.Brokers started")
	}
}

// TestBuildErrorsFailTheTest: a configuration the product refuses is reported, not papered
// over (here the dev mode combined with an API key).
func TestBuildErrorsFailTheTest(t *testing.T) {
	_, err := harness.New(context.Background(), harness.Options{Brokers: []string{"127.0.0.1:1"},
		Env: map[string]string{"AUTH_API_KEYS": `{"ci": {"sha256": "` + strings.Repeat("0", 64) + `"}}`}})
	if err == nil || !strings.Contains(err.Error(), "AUTH_INSECURE_DEV") {
		t.Fatalf("error %v, want the product's AUTH_INSECURE_DEV refusal", err)
	}
}
