package grants_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/broker"
)

// TestMain makes the product trust the local OIDC issuers (harness.TrustTestTLS) before
// anything in the process loads the system roots.
func TestMain(m *testing.M) {
	cleanup, err := harness.TrustTestTLS()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

const (
	tc3Billing = "AKIDgrantsBilling000000000000000000"
	tc3Other   = "AKIDgrantsOther00000000000000000000"
	tc3Key     = "grantsSuiteTC3SecretKey-000000001"
	tc3Key2    = "grantsSuiteTC3SecretKey-000000002"
	tokenKey   = "grantsSuiteCommitTokenSecret-0001"
)

// apiKeys maps key id to secret; AUTH_API_KEYS holds their SHA-256.
var apiKeys = map[string]string{
	"admin":      "Z3JhbnRzLWFkbWluLXNlY3JldC0wMDAwMDAwMDAwMDE",
	"billing-ci": "Z3JhbnRzLWJpbGxpbmctc2VjcmV0LTAwMDAwMDAwMDE",
	"other-ci":   "Z3JhbnRzLW90aGVyLXNlY3JldC0wMDAwMDAwMDAwMDE",
}

// httpPolicy: key:admin seeds and reads every group; one rule grants the billing groups
// to a principal of each kind; every caller may consume the topic (without a group).
const httpPolicy = `{"rules":[
 {"principals":["key:admin"],"ops":["*"],"topics":["*"],"groups":["*"]},
 {"principals":["key:billing-ci","oidc-group:kc#billing","oidc-role:kc#billing-reader","oidc:kc#billing-bot","tc3:` + tc3Billing + `"],
  "ops":["consume"],"topics":["orders"],"groups":["billing","billing.*"]},
 {"principals":["*"],"ops":["consume"],"topics":["orders"]}]}`

// caller is one principal: over HTTP, sign adds its credentials to a request (body is what
// the request will carry; nil: no credentials); on Lambda, event is the invocation event
// whose authorizer context names it.
type caller struct {
	name    string
	sign    func(r *http.Request, body []byte)
	event   string
	allowed bool // on the billing groups
}

// TestGroupGrantsOverHTTP: API keys, OIDC callers (groups and roles scoped to their issuer)
// and TC3 signers, configured only through AUTH_API_KEYS, AUTH_OIDC, AUTH_TC3_CREDENTIALS
// and AUTH_POLICY on the all-routes Build, are granted or refused the consumer-group routes.
func TestGroupGrantsOverHTTP(t *testing.T) {
	kc, other := entratest.NewIssuer(t, "/realms/kafkafn"), entratest.NewIssuer(t, "/realms/other")
	keys := map[string]any{}
	for id, secret := range apiKeys {
		sum := sha256.Sum256([]byte(secret))
		keys[id] = map[string]string{"sha256": hex.EncodeToString(sum[:])}
	}
	keysJSON, _ := json.Marshal(keys)
	s := harness.Start(t, harness.Options{
		Auth:    harness.AuthEnv,
		Cluster: []kfake.Opt{kfake.SeedTopics(1, "orders")},
		Env: map[string]string{
			"AUTH_API_KEYS": string(keysJSON),
			"AUTH_OIDC": `[{"name":"kc","issuer":"` + kc.URL + `","audience":"kafkafn","groups_claim":"groups","roles_claim":"realm_access.roles"},
			  {"name":"other","issuer":"` + other.URL + `","audience":"kafkafn","groups_claim":"groups","roles_claim":"realm_access.roles"}]`,
			"AUTH_TC3_CREDENTIALS": tc3Billing + ":" + tc3Key + "," + tc3Other + ":" + tc3Key2,
			"AUTH_POLICY":          httpPolicy,
			"CONSUME_TOKEN_SECRET": tokenKey,
		},
	})
	basic := func(id string) func(*http.Request, []byte) {
		return func(r *http.Request, _ []byte) { r.SetBasicAuth(id, apiKeys[id]) }
	}
	bearer := func(is *entratest.Issuer, sub string, groups, roles []string) func(*http.Request, []byte) {
		return func(r *http.Request, _ []byte) {
			c := jwt.MapClaims{"iss": is.URL, "sub": sub, "aud": "kafkafn", "iat": time.Now().Unix(),
				"exp": time.Now().Add(time.Hour).Unix(), "groups": groups, "realm_access": map[string]any{"roles": roles}}
			r.Header.Set("Authorization", "Bearer "+is.Sign(jwt.SigningMethodRS256, c))
		}
	}
	signTC3 := func(id, key string) func(*http.Request, []byte) {
		return func(r *http.Request, body []byte) { tc3.SignRoute(r, body, id, key, "ckafka", time.Now()) }
	}
	callers := []caller{
		{name: "key:billing-ci", sign: basic("billing-ci"), allowed: true},
		{name: "key:other-ci (consume on the topic, no group)", sign: basic("other-ci")},
		{name: "oidc-group:kc#billing", sign: bearer(kc, "svc-1", []string{"billing"}, nil), allowed: true},
		{name: "oidc-role:kc#billing-reader", sign: bearer(kc, "svc-1", nil, []string{"billing-reader"}), allowed: true},
		{name: "oidc:kc#billing-bot (the subject)", sign: bearer(kc, "billing-bot", nil, nil), allowed: true},
		{name: "a kc caller without the group, role or subject", sign: bearer(kc, "svc-1", []string{"ops"}, []string{"reader"})},
		{name: "group, role and subject billing according to another issuer",
			sign: bearer(other, "billing-bot", []string{"billing"}, []string{"billing-reader"})},
		{name: "tc3:" + tc3Billing, sign: signTC3(tc3Billing, tc3Key), allowed: true},
		{name: "tc3:" + tc3Other, sign: signTC3(tc3Other, tc3Key2)},
	}
	do := func(t *testing.T, c caller, method, path, body string) harness.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if c.sign != nil {
			c.sign(req, []byte(body))
		}
		return s.DoRequest(t, req)
	}
	admin := caller{name: "key:admin", sign: basic("admin")}
	routes := groupRoutes{
		seed: func(t *testing.T) { seed(t, s.Broker) },
		send: func(t *testing.T, c caller, method, path, body string) (int, string) {
			r := do(t, c, method, path, body)
			return r.Status, string(r.Body)
		},
		committed: func(t *testing.T, group string) int64 { return committed(t, s.Broker, group) },
		admin:     admin,
	}
	for _, c := range callers {
		for _, group := range []string{"billing", "billing.eu", "team-b"} {
			want := c.allowed && group != "team-b"
			t.Run(fmt.Sprintf("%s: group %s → allowed=%v", c.name, group, want), func(t *testing.T) {
				routes.check(t, c, group, want)
			})
		}
	}
	t.Run("no credentials → 401 with the Bearer and Basic challenges on every group route", func(t *testing.T) {
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/v1/consumer/groups/billing/topics/orders/window?commit=immediate", ""},
			{"POST", "/v1/consumer/groups/billing/commit", `{"token":"x"}`},
			{"GET", "/v1/consumer/groups/billing/lag?topic=orders", ""},
		} {
			a := do(t, caller{}, r.method, r.path, r.body)
			ch := strings.Join(a.Header.Values("WWW-Authenticate"), ", ")
			if a.Status != http.StatusUnauthorized || !strings.Contains(ch, "Bearer") || !strings.Contains(ch, "Basic") {
				t.Errorf("%s %s: %d %q %s", r.method, r.path, a.Status, ch, a.Body)
			}
		}
	})
}

// groupRoutes drives the three group routes of one deployment for the grant checks.
type groupRoutes struct {
	seed      func(t *testing.T)
	send      func(t *testing.T, c caller, method, path, body string) (status int, answer string)
	committed func(t *testing.T, group string) int64
	admin     caller // may use every group: yields commit tokens for the others to present
}

// check asks, as c, for a commit of a token the admin obtained, a window with
// commit=immediate and the lag of group on topic orders, and checks each answer and that a
// refused request moved no offset while an allowed commit did.
func (g groupRoutes) check(t *testing.T, c caller, group string, allowed bool) {
	t.Helper()
	expect := func(what string, status int, body string, before int64) {
		t.Helper()
		switch {
		case allowed && status != http.StatusOK:
			t.Fatalf("%s: %d %s; want 200", what, status, body)
		case !allowed && (status != http.StatusForbidden || !strings.Contains(body, `"forbidden"`)):
			t.Fatalf("%s: %d %s; want 403 forbidden", what, status, body)
		case !allowed && g.committed(t, group) != before:
			t.Fatalf("%s: refused, yet the group's offset moved from %d to %d", what, before, g.committed(t, group))
		case allowed && what != "lag" && g.committed(t, group) == before:
			t.Fatalf("%s: allowed, yet the group's offset did not move from %d", what, before)
		}
	}
	g.seed(t)
	status, body := g.send(t, g.admin, "POST", "/v1/consumer/groups/"+group+"/topics/orders/window?count=1", "")
	var win struct{ Token string }
	if status != http.StatusOK || json.Unmarshal([]byte(body), &win) != nil || win.Token == "" {
		t.Fatalf("admin window: %d %s", status, body)
	}
	before := g.committed(t, group)
	status, body = g.send(t, c, "POST", "/v1/consumer/groups/"+group+"/commit", `{"token":"`+win.Token+`"}`)
	expect("commit", status, body, before)
	g.seed(t)
	before = g.committed(t, group)
	status, body = g.send(t, c, "POST", "/v1/consumer/groups/"+group+"/topics/orders/window?commit=immediate", "")
	expect("window with commit=immediate", status, body, before)
	before = g.committed(t, group)
	status, body = g.send(t, c, "GET", "/v1/consumer/groups/"+group+"/lag?topic=orders", "")
	expect("lag", status, body, before)
}

// seed writes one record to orders, so every window has something to commit.
func seed(t *testing.T, b *broker.Client) {
	t.Helper()
	if _, err := b.Produce(t.Context(), "orders", []broker.Record{{Partition: 0, Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
}

// committed is group's committed offset on orders/0 (-1: none).
func committed(t *testing.T, b *broker.Client, group string) int64 {
	t.Helper()
	c, err := b.CommittedOffsets(t.Context(), group, "orders", []int{0})
	if err != nil {
		t.Fatal(err)
	}
	return c[0]
}
