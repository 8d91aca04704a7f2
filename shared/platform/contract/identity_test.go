package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// awsAuthPolicy names one principal of each front-door kind (the fixtures' callers).
const awsAuthPolicy = `{"rules":[
  {"principals":["aws:arn:aws:iam::123456789012:role/service-role/kafkafn-writer"],"ops":["metadata"],"topics":["orders"]},
  {"principals":["aws:arn:aws:iam::111122223333:user/ops/example-user"],"ops":["metadata"],"topics":["orders"]},
  {"principals":["oidc-group:cognito#writers"],"ops":["metadata"],"topics":["orders"]},
  {"principals":["authorizer:tenant-7"],"ops":["metadata"],"topics":["orders"]}]}`

// TestAWSAuthorizerContext drives the real list-topics binary on the fake Lambda Runtime API
// with events shaped as API Gateway and Function URLs send them after their authorizers ran.
func TestAWSAuthorizerContext(t *testing.T) {
	bin := binary(t, "functions/listtopics/cmd/list-topics")
	cluster := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders", "payments"))
	rt := newFakeRuntime(t)
	p := start(t, bin, append(cluster.Env(), "AWS_LAMBDA_RUNTIME_API="+rt.Addr(), "AUTH_AWS_AUTHORIZER=true",
		"AUTH_POLICY="+awsAuthPolicy,
		`AUTH_OIDC=[{"issuer":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123","audience":"3n4b5urk1ft4fl3mg5e62d9ado","name":"cognito","groups_claim":"cognito:groups"}]`)...)
	if !pollsOrExit(t, p, rt) {
		t.Fatalf("exited: %s", p.out.String())
	}
	const dir = "../awslambda/testdata/"
	for _, tc := range []struct {
		name, fixture string
		edit          func(string) string
		status        int
	}{
		{"HTTP API IAM: an assumed-role session is its role (path ignored) → 200", "aws_auth_httpapi_iam_assumed_role.json", nil, 200},
		{"HTTP API IAM: another role of the account → 403", "aws_auth_httpapi_iam_assumed_role.json",
			func(s string) string {
				return strings.ReplaceAll(s, "assumed-role/kafkafn-writer", "assumed-role/kafkafn-reader")
			}, 403},
		{"HTTP API IAM: the same role name in another account → 403", "aws_auth_httpapi_iam_assumed_role.json",
			func(s string) string {
				return strings.ReplaceAll(s, "arn:aws:sts::123456789012", "arn:aws:sts::999999999999")
			}, 403},
		{"Function URL IAM: an IAM user → 200", "aws_auth_function_url_iam_user.json", nil, 200},
		{"REST API IAM (identity.userArn) → 200", "aws_auth_rest_iam_assumed_role.json", nil, 200},
		{"HTTP API JWT authorizer: cognito:groups \"[writers readers]\" is parsed → 200", "aws_auth_httpapi_jwt_cognito.json", nil, 200},
		{"HTTP API JWT authorizer: without the group → 403", "aws_auth_httpapi_jwt_cognito.json",
			func(s string) string { return strings.ReplaceAll(s, "[writers readers]", "[readers]") }, 403},
		{"HTTP API JWT authorizer: the group from another issuer → 403", "aws_auth_httpapi_jwt_cognito.json",
			func(s string) string { return strings.ReplaceAll(s, "eu-west-1_AbCdEf123", "eu-west-1_Other") }, 403},
		{"HTTP API Lambda authorizer context → 200", "aws_auth_httpapi_lambda_authorizer.json", nil, 200},
		{"REST API Lambda authorizer principalId → 200", "aws_auth_rest_lambda_authorizer.json", nil, 200},
		{"no authorizer context, forged identity headers → 401", "aws_auth_httpapi_no_authorizer_forged_headers.json", nil, 401},
		{"a Lambda authorizer context without principalId → 401", "aws_auth_httpapi_lambda_authorizer.json",
			func(s string) string { return strings.ReplaceAll(s, `"principalId": "tenant-7",`, "") }, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := string(fixture(t, dir+tc.fixture))
			if tc.edit != nil {
				if ev2 := tc.edit(ev); ev2 != ev {
					ev = ev2
				} else {
					t.Fatal("the edit changed nothing")
				}
			}
			r := rt.invokeHTTP(t, p, []byte(ev))
			body := decodeBody(t, r)
			if r.StatusCode != tc.status {
				t.Fatalf("%d %s", r.StatusCode, body)
			}
			if tc.status == 200 && (!strings.Contains(body, `"orders"`) || strings.Contains(body, `"payments"`)) {
				t.Fatalf("the topic list is not filtered by the principal's policy: %s", body)
			}
		})
	}
}

// TestAWSAuthorizerRefusedOffLambda: nothing vouches for a caller context on the local
// server or behind the Azure Functions host, so the mode is refused at start.
func TestAWSAuthorizerRefusedOffLambda(t *testing.T) {
	bin := binary(t, "functions/listtopics/cmd/list-topics")
	cluster := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders"))
	for name, env := range map[string]string{"azure": "FUNCTIONS_CUSTOMHANDLER_PORT=", "local": "ADDR=127.0.0.1:"} {
		t.Run(name, func(t *testing.T) {
			port := loopback.FreePort(t)
			p := start(t, bin, append(cluster.Env(), "AUTH_AWS_AUTHORIZER=true", env+port)...)
			select {
			case err := <-p.done:
				p.done <- err
				if err == nil || !strings.Contains(p.out.String(), "AUTH_AWS_AUTHORIZER: refused") {
					t.Fatalf("exit %v: %s", err, p.out.String())
				}
			case <-time.After(20 * time.Second):
				if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
					c.Close()
				}
				t.Fatal("the binary started with AUTH_AWS_AUTHORIZER off Lambda")
			}
		})
	}
}

// TestNativeIdentitiesOnRouteBinary runs the real list-topics binary as a local server with
// API keys, an OIDC issuer and TC3 credentials, and calls it over HTTP with each.
func TestNativeIdentitiesOnRouteBinary(t *testing.T) {
	bin := binary(t, "functions/listtopics/cmd/list-topics")
	cluster := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders", "payments"))
	is := entratest.NewIssuer(t, "/realms/kafkafn")
	certFile := filepath.Join(t.TempDir(), "issuer.pem")
	if err := os.WriteFile(certFile, is.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	const keySecret = "bGlzdC10b3BpY3MtY29udHJhY3Qtc2VjcmV0LTAwMDA"
	sum := sha256.Sum256([]byte(keySecret))
	port := loopback.FreePort(t)
	p := start(t, bin, append(cluster.Env(), "ADDR=127.0.0.1:"+port, "SSL_CERT_FILE="+certFile,
		`AUTH_API_KEYS={"ci":{"sha256":"`+hex.EncodeToString(sum[:])+`"}}`,
		`AUTH_OIDC=[{"issuer":"`+is.URL+`","audience":"kafkafn","name":"kc","roles_claim":"realm_access.roles"}]`,
		"AUTH_TC3_CREDENTIALS=AKIDcontract:tc3-contract-key",
		`AUTH_POLICY={"rules":[{"principals":["key:ci","oidc-role:kc#reader","tc3:AKIDcontract"],"ops":["metadata"],"topics":["orders"]}]}`)...)
	waitDial(t, p, "127.0.0.1:"+port)
	base := "http://127.0.0.1:" + port
	get := func(t *testing.T, path string, sign func(*http.Request)) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if sign != nil {
			sign(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	token := func(role string) string {
		return is.Sign(jwt.SigningMethodRS256, jwt.MapClaims{"iss": is.URL, "sub": "svc-1", "aud": "kafkafn",
			"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "realm_access": map[string]any{"roles": []string{role}}})
	}
	for _, tc := range []struct {
		name   string
		path   string
		sign   func(*http.Request)
		status int
	}{
		{"an API key → 200, only its topics", "/v1/metadata/topics", func(r *http.Request) { r.SetBasicAuth("ci", keySecret) }, 200},
		{"a wrong API key secret → 401", "/v1/metadata/topics", func(r *http.Request) { r.SetBasicAuth("ci", keySecret+"x") }, 401},
		{"an OIDC token with the granted role → 200", "/v1/metadata/topics", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token("reader")) }, 200},
		{"an OIDC token without it → 403", "/v1/metadata/topics", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token("other")) }, 403},
		{"a TC3 route signature → 200", "/v1/metadata/topics", func(r *http.Request) {
			tc3.SignRoute(r, nil, "AKIDcontract", "tc3-contract-key", "ckafka", time.Now())
		}, 200},
		{"a TC3 signature for another path → 401", "/v1/metadata/topics", func(r *http.Request) {
			other := r.Clone(r.Context())
			other.URL.Path = "/v1/metadata/brokers"
			tc3.SignRoute(other, nil, "AKIDcontract", "tc3-contract-key", "ckafka", time.Now())
			r.Header = other.Header
		}, 401},
		{"an SDK-style /-signed TC3 request → 401", "/v1/metadata/topics", func(r *http.Request) {
			tc3.Sign(r, nil, "AKIDcontract", "tc3-contract-key", "ckafka", time.Now())
		}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := get(t, tc.path, tc.sign)
			if status != tc.status {
				t.Fatalf("%d %s", status, body)
			}
			if status == 200 && (!strings.Contains(body, `"orders"`) || strings.Contains(body, `"payments"`)) {
				t.Fatalf("not filtered: %s", body)
			}
		})
	}
	t.Run("no credentials → 401 with the Bearer and Basic challenges", func(t *testing.T) {
		status, h, body := get(t, "/v1/metadata/topics", nil)
		c := strings.Join(h.Values("WWW-Authenticate"), ", ")
		if status != 401 || !strings.Contains(c, "Bearer") || !strings.Contains(c, `Basic realm="kafkafn"`) {
			t.Fatalf("%d %q %s", status, c, body)
		}
	})
	if strings.Contains(p.out.String(), keySecret) || strings.Contains(p.out.String(), "tc3-contract-key") {
		t.Fatal("a secret was logged")
	}
}
