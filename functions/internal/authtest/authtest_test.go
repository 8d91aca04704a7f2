package authtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/functions/listtopics"
	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// logs receives ALL log output of the suite (slog's default logger, at debug level).
var logs logtest.Buffer

// secrets are the keys, tokens, signatures and Authorization headers the suite used; none
// may appear in logs.
var secrets struct {
	sync.Mutex
	list []string
}

func secret(s string) string {
	secrets.Lock()
	defer secrets.Unlock()
	secrets.list = append(secrets.list, s)
	return s
}

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	cleanup, err := harness.TrustTestTLS() // the product trusts the test identity provider
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	if code == 0 {
		if leaks := scanLogs(); leaks != "" {
			fmt.Fprintln(os.Stderr, "FAIL: the suite's log output contains secrets:", leaks)
			code = 1
		}
	}
	os.Exit(code)
}

// scanLogs lists (by kind and length, never by value) the secrets found in the logs.
func scanLogs() string {
	out := logs.String()
	if !strings.Contains(out, `"msg":"request"`) {
		return "no request log lines were captured (the scan would prove nothing)"
	}
	secrets.Lock()
	defer secrets.Unlock()
	var found []string
	for _, s := range secrets.list {
		if len(s) >= 8 && strings.Contains(out, s) {
			found = append(found, fmt.Sprintf("a %d-byte secret", len(s)))
		}
		// A JWT's signature segment alone must not leak either.
		if i := strings.LastIndexByte(s, '.'); strings.Count(s, ".") == 2 && len(s)-i > 16 && strings.Contains(out, s[i+1:]) {
			found = append(found, "a JWT signature")
		}
	}
	return strings.Join(found, ", ")
}

const (
	audience  = "api://kafkafn-authtest"
	writerGrp = "6a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	tc3ID     = "AKIDauthtestMatrix0000000000000000"
	tc3OtherI = "AKIDauthtestOther00000000000000000"
)

var (
	tc3Key      = secret("authtestMatrixSecretKey-000000001")
	tc3OtherKey = secret("authtestOtherSecretKey-0000000002")
)

// thePolicy is the matrix's AUTH_POLICY.
var thePolicy = `{"rules":[
 {"description":"writers","principals":["group:` + writerGrp + `"],"ops":["produce"],"topics":["orders.*"]},
 {"principals":["role:Kafka.Reader"],"ops":["consume","metadata"],"topics":["orders.*"]},
 {"principals":["role:Kafka.Admin"],"ops":["*"],"topics":["*"]},
 {"principals":["tc3:` + tc3ID + `"],"ops":["produce"],"topics":["orders.tc3"]},
 {"principals":["*"],"ops":["metadata"],"topics":["public"]}
]}`

// stack is every route of every function (the all-routes Build, started by the harness),
// guarded as authconfig builds it from env; the product trusts the test identity
// provider's TLS certificate through SSL_CERT_FILE (TestMain).
type stack struct {
	h   *harness.Stack
	idp *entratest.Server
	bc  *broker.Client // for checking what Kafka holds, behind the routes' backs
}

func newStack(t *testing.T, policy string) *stack {
	t.Helper()
	idp := entratest.New(t)
	h := harness.Start(t, harness.Options{
		Auth:    harness.AuthEnv,
		Cluster: []kfake.Opt{kfake.SeedTopics(1, "orders.eu", "orders.tc3", "public", "secret", "__hidden")},
		Env: map[string]string{
			"AUTH_ENTRA_TENANT_ID":      idp.Tenant,
			"AUTH_ENTRA_AUDIENCE":       audience,
			"AUTH_ENTRA_AUTHORITY_HOST": idp.URL,
			"AUTH_TC3_CREDENTIALS":      tc3ID + ":" + tc3Key + "," + tc3OtherI + ":" + tc3OtherKey,
			"CKAFKA_DATAHUBS":           "datahub-tc3=orders.tc3,datahub-eu=orders.eu,datahub-secret=secret",
			"AUTH_POLICY":               policy,
			"CONSUME_TOKEN_SECRET":      secret("authtestCommitTokenSecret-0000003"),
			"REQUEST_TIMEOUT":           "5s",
		},
		Log:  slog.Default(),
		Wrap: recordAuthorization,
	})
	return &stack{h: h, idp: idp, bc: h.Broker}
}

// recordAuthorization records every Authorization header (and a TC3 signature alone) as a
// secret the logs must not hold.
func recordAuthorization(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, a := range r.Header.Values("Authorization") {
			secret(a)
			if _, sig, ok := strings.Cut(a, "Signature="); ok {
				secret(sig)
			}
		}
		h.ServeHTTP(w, r)
	})
}

// token mints a bearer token for kafkafn's audience with the given roles and groups.
func (s *stack) token(roles, groups []string) string {
	c := s.idp.Claims("2.0", audience)
	if roles != nil {
		c["roles"] = roles
	}
	if groups != nil {
		c["groups"] = groups
	}
	return secret(s.idp.Sign(c))
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (s *stack) do(t *testing.T, method, path, body string, header map[string]string) answer {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, s.h.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	a := s.h.DoRequest(t, r)
	return answer{a.Status, a.Header, a.Body}
}

// sendMessage posts a TC3-signed SendMessage and returns the Tencent error code ("" on success).
func (s *stack) sendMessage(t *testing.T, id, key, datahub string) string {
	t.Helper()
	body := `{"DataHubId":"` + datahub + `","Message":[{"Key":"k","Body":"v"}]}`
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.h.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-TC-Action", "SendMessage")
	r.Header.Set("X-TC-Version", "2019-08-19")
	tc3.Sign(r, []byte(body), id, key, "ckafka", time.Now())
	res, err := s.h.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Response struct {
			Error     *struct{ Code string }
			MessageID []string `json:"MessageId"`
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
		t.Fatalf("SendMessage answered %d: %v", res.StatusCode, err)
	}
	if out.Response.Error != nil {
		return out.Response.Error.Code
	}
	return ""
}

// concrete fills a route's path parameters.
func concrete(path string) string {
	return strings.NewReplacer("{topic}", "orders.eu", "{partition}", "0", "{offset}", "0", "{group}", "g1", "{$}", "").Replace(path)
}

func TestEveryRouteAnswers401WithoutCredentials(t *testing.T) {
	s := newStack(t, thePolicy)
	tampered := s.token([]string{"Kafka.Admin"}, nil)
	tampered = tampered[:len(tampered)-4] + "AAAA"
	signedTC3 := func(path string) string {
		r := httptest.NewRequest(http.MethodPost, s.h.URL+path, nil)
		r.Header.Set("Content-Type", "application/json")
		tc3.Sign(r, []byte("{}"), tc3ID, tc3Key, "ckafka", time.Now())
		return secret(r.Header.Get("Authorization"))
	}
	type route struct{ fn, method, path string }
	var routes []route
	for _, r := range listtopics.Routes {
		routes = append(routes, route{"listtopics", r.Method, r.Path})
	}
	for _, r := range produce.Routes {
		routes = append(routes, route{"produce", r.Method, r.Path})
	}
	for _, r := range consumewindow.Routes {
		routes = append(routes, route{"consumewindow", r.Method, r.Path})
	}
	for _, rt := range routes {
		path := concrete(rt.path)
		t.Run(rt.fn+" "+rt.method+" "+rt.path, func(t *testing.T) {
			if rt.path == "/" { // SendMessage: Tencent envelopes, HTTP 200
				a := s.do(t, rt.method, path, "{}", map[string]string{"X-TC-Action": "SendMessage", "X-TC-Version": "2019-08-19"})
				if a.status != 200 || !bytes.Contains(a.body, []byte(`"Code":"AuthFailure.InvalidAuthorization"`)) {
					t.Fatalf("no credentials: %d %s; want 200 with AuthFailure.InvalidAuthorization", a.status, a.body)
				}
				a = s.do(t, rt.method, path, "{}", map[string]string{"X-TC-Action": "SendMessage", "X-TC-Version": "2019-08-19",
					"Authorization": "Bearer " + s.token([]string{"Kafka.Admin"}, nil)})
				if !bytes.Contains(a.body, []byte(`"Code":"AuthFailure`)) {
					t.Fatalf("a bearer token on SendMessage: %d %s; want AuthFailure", a.status, a.body)
				}
				return
			}
			if strings.HasPrefix(rt.path, "/v1/webhooks/") { // webhook sources carry their own signatures
				a := s.do(t, rt.method, path, "{}", nil)
				if a.status < 400 || a.status >= 500 {
					t.Fatalf("no credentials: %d %s; want a 4xx", a.status, a.body)
				}
				return
			}
			for _, c := range []struct {
				name, authz, challenge string
			}{
				{"no Authorization header", "", "Bearer"},
				{"a tampered token", "Bearer " + tampered, `Bearer error="invalid_token"`},
				{"a malformed bearer header", "Bearer not a token", `Bearer error="invalid_request"`},
				{"a valid TC3 signature (TC3 signs only /)", signedTC3(path), ""},
			} {
				h := map[string]string{}
				if c.authz != "" {
					h["Authorization"] = c.authz
				}
				a := s.do(t, rt.method, path, "{}", h)
				if a.status == http.StatusNotFound && bytes.Contains(a.body, []byte("route_not_found")) {
					t.Skip("the route is not registered yet")
				}
				if a.status != http.StatusUnauthorized {
					t.Fatalf("%s: %d %s; want 401", c.name, a.status, a.body)
				}
				if id := a.header.Get("X-Request-Id"); id == "" || !bytes.Contains(a.body, []byte(`"request_id":"`+id+`"`)) {
					t.Errorf("%s: the 401 body has no request_id equal to X-Request-Id %q: %s", c.name, id, a.body)
				}
				if c.challenge != "" && a.header.Get("WWW-Authenticate") != c.challenge {
					t.Errorf("%s: WWW-Authenticate %q; want %q", c.name, a.header.Get("WWW-Authenticate"), c.challenge)
				}
				if bytes.Contains(a.body, []byte(tampered)) || bytes.Contains(a.body, []byte(tc3Key)) {
					t.Fatalf("%s: the answer echoes the credential", c.name)
				}
			}
		})
	}
}

func TestPolicyMatrix(t *testing.T) {
	s := newStack(t, thePolicy)
	principals := []struct {
		name   string
		bearer string // "" for the TC3 principals
		tc3    [2]string
	}{
		{name: "a writer-group member", bearer: s.token(nil, []string{writerGrp})},
		{name: "a Kafka.Reader role holder", bearer: s.token([]string{"Kafka.Reader"}, nil)},
		{name: "a Kafka.Admin role holder", bearer: s.token([]string{"Kafka.Admin"}, nil)},
		{name: "a valid caller with no grants", bearer: s.token([]string{"Other.Role"}, []string{"00000000-0000-4000-8000-000000000000"})},
		{name: "the granted TC3 SecretId", tc3: [2]string{tc3ID, tc3Key}},
		{name: "another TC3 SecretId", tc3: [2]string{tc3OtherI, tc3OtherKey}},
	}
	// The expected verdicts, derived by hand from thePolicy ("orders.*" covers orders.eu and
	// orders.tc3; everyone may read metadata of public).
	allow := map[string]map[string]bool{ // principal → "op topic" → allowed
		"a writer-group member":         {"produce orders.eu": true, "produce orders.tc3": true, "metadata public": true},
		"a Kafka.Reader role holder":    {"consume orders.eu": true, "metadata orders.eu": true, "consume orders.tc3": true, "metadata orders.tc3": true, "metadata public": true},
		"a Kafka.Admin role holder":     {},
		"a valid caller with no grants": {"metadata public": true},
		"the granted TC3 SecretId":      {"produce orders.tc3": true},
	}
	for _, op := range []string{"produce", "consume", "metadata", "admin"} {
		for _, topic := range []string{"orders.eu", "public", "secret", "orders.tc3"} {
			allow["a Kafka.Admin role holder"][op+" "+topic] = true
		}
	}
	n := 0
	for _, p := range principals {
		for _, op := range []string{"produce", "consume", "metadata", "admin"} {
			for _, topic := range []string{"orders.eu", "public", "secret", "orders.tc3"} {
				want := allow[p.name][op+" "+topic]
				if p.bearer == "" && op != "produce" {
					continue // TC3 callers reach only SendMessage
				}
				t.Run(fmt.Sprintf("%s: %s on %s → allowed=%v", p.name, op, topic, want), func(t *testing.T) {
					if p.bearer == "" {
						hub := map[string]string{"orders.tc3": "datahub-tc3", "orders.eu": "datahub-eu", "secret": "datahub-secret"}[topic]
						if hub == "" {
							t.Skip("no datahub for this topic")
						}
						code := s.sendMessage(t, p.tc3[0], p.tc3[1], hub)
						if want && code != "" || !want && code != "UnauthorizedOperation" {
							t.Fatalf("SendMessage answered %q; want allowed=%v", code, want)
						}
						return
					}
					h := map[string]string{"Authorization": "Bearer " + p.bearer}
					var a answer
					switch op {
					case "produce":
						a = s.do(t, "POST", "/v1/producer/topics/"+topic, `{"records":[{"value":"x"}]}`, h)
					case "consume":
						a = s.do(t, "GET", "/v1/consumer/topics/"+topic+"/partitions/0/offsets/0", "", h)
					case "metadata":
						a = s.do(t, "GET", "/v1/metadata/topics/"+topic+"/partitions", "", h)
					case "admin":
						n++
						// Creating "<topic>.newN" needs admin on that name; the patterns above
						// give the same verdict for it as for <topic> itself.
						a = s.do(t, "PUT", fmt.Sprintf("/v1/topics/%s.new%d", topic, n), `{}`, h)
					}
					if want && a.status >= 300 || !want && a.status != http.StatusForbidden {
						t.Fatalf("%d %s; want allowed=%v", a.status, a.body, want)
					}
				})
			}
		}
	}

	t.Run("listing topics shows only those the caller may read metadata of", func(t *testing.T) {
		for _, c := range []struct {
			bearer string
			want   []string
		}{
			{principals[1].bearer, []string{"orders.eu", "orders.tc3", "public"}},
			{principals[3].bearer, []string{"public"}},
		} {
			a := s.do(t, "GET", "/v1/metadata/topics", "", map[string]string{"Authorization": "Bearer " + c.bearer})
			var out struct{ Topics []string }
			if err := json.Unmarshal(a.body, &out); err != nil || a.status != 200 {
				t.Fatalf("%d %s", a.status, a.body)
			}
			for _, w := range c.want {
				if !contains(out.Topics, w) {
					t.Errorf("topics %v lack %s", out.Topics, w)
				}
			}
			if contains(out.Topics, "secret") {
				t.Errorf("topics %v include secret", out.Topics)
			}
		}
	})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestDefaultPolicyDeniesAdmin(t *testing.T) {
	s := newStack(t, "")
	h := map[string]string{"Authorization": "Bearer " + s.token(nil, nil)}
	if a := s.do(t, "POST", "/v1/producer/topics/secret", `{"records":[{"value":"x"}]}`, h); a.status != 200 {
		t.Fatalf("produce under the default policy: %d %s", a.status, a.body)
	}
	if a := s.do(t, "PUT", "/v1/topics/brand-new", `{}`, h); a.status != http.StatusForbidden {
		t.Fatalf("create a topic under the default policy: %d %s; want 403", a.status, a.body)
	}
	if code := s.sendMessage(t, tc3OtherI, tc3OtherKey, "datahub-secret"); code != "" {
		t.Fatalf("SendMessage under the default policy: %s", code)
	}
}

func TestStartupFailsNamingTheVariable(t *testing.T) {
	builds := map[string]platform.BuildFunc{
		"produce":       produce.Build,
		"listtopics":    listtopics.Build,
		"consumewindow": consumewindow.Build,
	}
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	leak := secret("startupSecretKeyThatMustNotLeak-01")
	cases := []struct {
		name     string
		fns      []string
		env      map[string]string
		loopback bool
		want     []string // substrings of the error; nil: start-up succeeds
	}{
		{"no scheme at all", []string{"listtopics", "consumewindow"}, nil, false,
			[]string{"no authentication configured", "AUTH_ENTRA_TENANT_ID", "AUTH_ENTRA_AUDIENCE", "AUTH_INSECURE_DEV"}},
		{"no scheme at all (produce also names TC3)", []string{"produce"}, nil, false,
			[]string{"no authentication configured", "AUTH_ENTRA_TENANT_ID", "AUTH_TC3_CREDENTIALS"}},
		{"the dev mode off loopback", []string{"produce", "listtopics", "consumewindow"}, map[string]string{"AUTH_INSECURE_DEV": "true"}, false,
			[]string{"AUTH_INSECURE_DEV: refused"}},
		{"the dev mode mixed with Entra", []string{"listtopics"}, map[string]string{"AUTH_INSECURE_DEV": "true", "AUTH_ENTRA_TENANT_ID": tenant, "AUTH_ENTRA_AUDIENCE": "api://x"}, true,
			[]string{"AUTH_INSECURE_DEV: refused", "AUTH_ENTRA_TENANT_ID"}},
		{"the dev mode on loopback starts", []string{"produce", "listtopics", "consumewindow"}, map[string]string{"AUTH_INSECURE_DEV": "true"}, true, nil},
		{"a dev mode value that is not a boolean", []string{"listtopics"}, map[string]string{"AUTH_INSECURE_DEV": "yes please"}, true,
			[]string{"AUTH_INSECURE_DEV"}},
		{"a tenant that is not a GUID", []string{"listtopics"}, map[string]string{"AUTH_ENTRA_TENANT_ID": "contoso", "AUTH_ENTRA_AUDIENCE": "api://x"}, false,
			[]string{"AUTH_ENTRA_TENANT_ID"}},
		{"a tenant without an audience", []string{"consumewindow"}, map[string]string{"AUTH_ENTRA_TENANT_ID": tenant}, false,
			[]string{"AUTH_ENTRA_AUDIENCE"}},
		{"an invalid policy", []string{"listtopics"}, map[string]string{"AUTH_ENTRA_TENANT_ID": tenant, "AUTH_ENTRA_AUDIENCE": "api://x",
			"AUTH_POLICY": `{"rules":[{"principals":["*"],"ops":["write"],"topics":["*"]}]}`}, false,
			[]string{"AUTH_POLICY", "rules[0].ops[0]"}},
		{"a policy file that does not exist", []string{"listtopics"}, map[string]string{"AUTH_ENTRA_TENANT_ID": tenant, "AUTH_ENTRA_AUDIENCE": "api://x",
			"AUTH_POLICY": "@/nonexistent/policy.json"}, false, []string{"AUTH_POLICY"}},
		{"TC3 credentials alone configure every function (TC3 signs every route)", []string{"produce", "listtopics", "consumewindow"},
			map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDx:" + leak, "CKAFKA_DATAHUBS": "datahub-a=a"}, false, nil},
		{"a malformed TC3 credential", []string{"produce"},
			map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDx-" + leak, "CKAFKA_DATAHUBS": "datahub-a=a"}, false,
			[]string{"AUTH_TC3_CREDENTIALS"}},
		{"a DataHub mapped to an internal topic", []string{"produce"},
			map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDx:" + leak, "CKAFKA_DATAHUBS": "datahub-a=a,datahub-offsets=__consumer_offsets"}, false,
			[]string{"CKAFKA_DATAHUBS", "datahub-offsets", "__consumer_offsets", "internal"}},
		{"TC3 credentials without datahubs start produce (its routes take TC3 signatures)", []string{"produce"},
			map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDx:" + leak}, false, nil},
		{"Entra configured starts every function", []string{"produce", "listtopics", "consumewindow"},
			map[string]string{"AUTH_ENTRA_TENANT_ID": tenant, "AUTH_ENTRA_AUDIENCE": "api://x"}, false, nil},
	}
	for _, tc := range cases {
		for _, fn := range tc.fns {
			t.Run(fn+": "+tc.name, func(t *testing.T) {
				env := map[string]string{"KAFKA_BROKERS": "127.0.0.1:9"}
				for k, v := range tc.env {
					env[k] = v
				}
				platformName := "aws"
				if tc.loopback {
					platformName = "local"
				}
				app, err := builds[fn](context.Background(), platform.Env{Getenv: func(k string) string { return env[k] },
					Platform: platformName, LoopbackOnly: tc.loopback})
				if tc.want == nil {
					if err != nil {
						t.Fatalf("start-up failed: %v", err)
					}
					if app.Close != nil {
						app.Close()
					}
					return
				}
				if err == nil {
					if app.Close != nil {
						app.Close()
					}
					t.Fatalf("start-up succeeded; want an error naming %v", tc.want)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %q", err, w)
					}
				}
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("the start-up error echoes a SecretKey")
				}
			})
		}
	}
}
