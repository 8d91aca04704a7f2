package bearer_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
)

const (
	appIDURI    = "api://kafkafn"
	apiClientID = "6e8c7a52-0d5b-4d4e-9a0c-3f5b2f1d7c11"
	kafkaGroup  = "a1b2c3d4-0000-4000-8000-00000000beef"
	otherGroup  = "a1b2c3d4-0000-4000-8000-00000000dead"
	produceRole = "Kafka.Produce"
)

// fixture is a fake Entra ID, an Authenticator configured for it, and a Guard-protected
// handler that answers 200 with the principal's ID.
type fixture struct {
	srv  *entratest.Server
	auth *bearer.Authenticator
	h    http.Handler
	logs *logtest.Buffer
}

func newFixture(t *testing.T, edit func(*bearer.EntraConfig)) *fixture {
	t.Helper()
	srv := entratest.New(t)
	cfg := bearer.EntraConfig{
		TenantID:      srv.Tenant,
		Audiences:     []string{appIDURI, apiClientID},
		AllowedGroups: []string{kafkaGroup},
		AllowedRoles:  []string{produceRole},
		AuthorityHost: srv.URL,
	}
	if edit != nil {
		edit(&cfg)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := bearer.New(cfg, bearer.WithHTTPClient(srv.Client()), bearer.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	g := auth.NewGuard(nil, a)
	h := g.Wrap(auth.OpProduce, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		_, _ = w.Write([]byte(p.Scheme + ":" + p.ID))
	}))
	return &fixture{srv: srv, auth: a, h: h, logs: logs}
}

// do sends one request with the given Authorization header values.
func (f *fixture) do(t *testing.T, authz ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/producer/topics/orders", nil)
	for _, v := range authz {
		r.Header.Add("Authorization", v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func v1Group(f *fixture) jwt.MapClaims {
	c := f.srv.Claims("1.0", appIDURI)
	c["groups"] = []string{kafkaGroup}
	return c
}

func v2Role(f *fixture) jwt.MapClaims {
	c := f.srv.Claims("2.0", apiClientID)
	c["roles"] = []string{produceRole}
	return c
}

func segment(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestAuthenticate(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name      string
		header    func(f *fixture) []string // Authorization values
		status    int
		challenge string // expected WWW-Authenticate, "" for none
		code      string // expected error code, when not 200
	}{
		// Positives.
		{"a v1 token of a caller in the allowed group is accepted", func(f *fixture) []string {
			return []string{"Bearer " + f.srv.Sign(v1Group(f))}
		}, 200, "", ""},
		{"a v2 token with the allowed role is accepted", func(f *fixture) []string {
			return []string{"Bearer " + f.srv.Sign(v2Role(f))}
		}, 200, "", ""},
		{"the scheme name is case-insensitive", func(f *fixture) []string {
			return []string{"bearer " + f.srv.Sign(v2Role(f))}
		}, 200, "", ""},
		{"a token expired one minute ago passes within the leeway", func(f *fixture) []string {
			c := v2Role(f)
			c["exp"] = now.Add(-time.Minute).Unix()
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 200, "", ""},

		// No or foreign credentials.
		{"no Authorization header → 401 with a bare Bearer challenge", func(*fixture) []string {
			return nil
		}, 401, "Bearer", "unauthorized"},
		{"another scheme is not ours → 401 with a bare Bearer challenge", func(*fixture) []string {
			return []string{"Basic dXNlcjpwYXNz"}
		}, 401, "Bearer", "unauthorized"},

		// Malformed requests.
		{"Bearer without a token → invalid_request", func(*fixture) []string {
			return []string{"Bearer "}
		}, 401, `Bearer error="invalid_request"`, "invalid_request"},
		{"a token with characters outside base64url → invalid_request", func(f *fixture) []string {
			return []string{"Bearer " + f.srv.Sign(v2Role(f)) + "$"}
		}, 401, `Bearer error="invalid_request"`, "invalid_request"},
		{"two tokens in one header → invalid_request", func(f *fixture) []string {
			tok := f.srv.Sign(v2Role(f))
			return []string{"Bearer " + tok + " " + tok}
		}, 401, `Bearer error="invalid_request"`, "invalid_request"},
		{"two Authorization headers → invalid_request", func(f *fixture) []string {
			tok := f.srv.Sign(v2Role(f))
			return []string{"Bearer " + tok, "Bearer " + tok}
		}, 401, `Bearer error="invalid_request"`, "invalid_request"},
		{"a token over 16 KiB → invalid_request", func(f *fixture) []string {
			c := v2Role(f)
			c["pad"] = strings.Repeat("x", bearer.MaxTokenBytes)
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_request"`, "invalid_request"},

		// Invalid tokens.
		{"not a JWT → invalid_token", func(*fixture) []string {
			return []string{"Bearer abc.def"}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"an expired token → invalid_token", func(f *fixture) []string {
			c := v2Role(f)
			c["exp"] = now.Add(-10 * time.Minute).Unix()
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"a token without exp → invalid_token", func(f *fixture) []string {
			c := v2Role(f)
			delete(c, "exp")
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"a token not valid yet → invalid_token", func(f *fixture) []string {
			c := v2Role(f)
			c["nbf"] = now.Add(10 * time.Minute).Unix()
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"a token for another audience → invalid_token", func(f *fixture) []string {
			c := v2Role(f)
			c["aud"] = "https://hib.azurehdinsight.net"
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"a foreign issuer → invalid_token", func(f *fixture) []string {
			c := v2Role(f)
			c["iss"] = "https://login.example.com/" + f.srv.Tenant + "/v2.0"
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"another tenant's issuer and tid → invalid_token", func(f *fixture) []string {
			c := v1Group(f)
			c["iss"] = "https://sts.windows.net/00000000-1111-2222-3333-444444444444/"
			c["tid"] = "00000000-1111-2222-3333-444444444444"
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"our issuer with another tenant's tid → invalid_token", func(f *fixture) []string {
			c := v2Role(f)
			c["tid"] = "00000000-1111-2222-3333-444444444444"
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"the v2 issuer with ver 1.0 → invalid_token", func(f *fixture) []string {
			c := v2Role(f)
			c["ver"] = "1.0"
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"the v1 issuer with ver 2.0 → invalid_token", func(f *fixture) []string {
			c := v1Group(f)
			c["ver"] = "2.0"
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"alg none → invalid_token", func(f *fixture) []string {
			kid, _ := f.srv.Key()
			return []string{"Bearer " + segment(map[string]string{"alg": "none", "typ": "JWT", "kid": kid}) + "." + segment(v2Role(f)) + "."}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"HS256 keyed with the public key → invalid_token", func(f *fixture) []string {
			kid, key := f.srv.Key()
			pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, v2Role(f))
			tok.Header["kid"] = kid
			raw, err := tok.SignedString(pub)
			if err != nil {
				panic(err)
			}
			return []string{"Bearer " + raw}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"RS512 with the right key → invalid_token (RS256 only)", func(f *fixture) []string {
			kid, key := f.srv.Key()
			tok := jwt.NewWithClaims(jwt.SigningMethodRS512, v2Role(f))
			tok.Header["kid"] = kid
			raw, _ := tok.SignedString(key)
			return []string{"Bearer " + raw}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"an unknown kid → invalid_token", func(f *fixture) []string {
			return []string{"Bearer " + entratest.SignWith(entratest.NewKey(t), "no-such-kid", v2Role(f))}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"no kid → invalid_token", func(f *fixture) []string {
			_, key := f.srv.Key()
			return []string{"Bearer " + entratest.SignWith(key, "", v2Role(f))}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"another key under a known kid → invalid_token", func(f *fixture) []string {
			kid, _ := f.srv.Key()
			return []string{"Bearer " + entratest.SignWith(entratest.NewKey(t), kid, v2Role(f))}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"a tampered payload → invalid_token", func(f *fixture) []string {
			parts := strings.Split(f.srv.Sign(f.srv.Claims("2.0", apiClientID)), ".")
			c := v2Role(f)
			c["roles"] = []string{produceRole, "Kafka.Admin"}
			parts[1] = segment(c)
			return []string{"Bearer " + strings.Join(parts, ".")}
		}, 401, `Bearer error="invalid_token"`, "invalid_token"},

		// Valid but not allowed.
		{"a valid token without an allowed role or group → 403", func(f *fixture) []string {
			c := f.srv.Claims("1.0", appIDURI)
			c["groups"] = []string{otherGroup}
			c["roles"] = []string{"Kafka.Consume"}
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 403, "", "forbidden"},
		{"a groups-overage token → 403 saying so", func(f *fixture) []string {
			c := f.srv.Claims("1.0", appIDURI)
			c["_claim_names"] = map[string]string{"groups": "src1"}
			c["_claim_sources"] = map[string]any{"src1": map[string]string{"endpoint": "https://graph.windows.net/x/users/y/getMemberObjects"}}
			return []string{"Bearer " + f.srv.Sign(c)}
		}, 403, "", "groups_overage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			header := tc.header(f)
			w := f.do(t, header...)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			if tc.status != 200 {
				var body struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
					t.Fatalf("error body %q: %v", w.Body, err)
				}
				if body.Error.Code != tc.code {
					t.Errorf("code = %q, want %q (message %q)", body.Error.Code, tc.code, body.Error.Message)
				}
			}
			for _, h := range header {
				_, tok, _ := strings.Cut(h, " ")
				if len(tok) < 20 {
					continue
				}
				if strings.Contains(w.Body.String(), tok) {
					t.Errorf("the response body echoes the token")
				}
				if strings.Contains(f.logs.String(), tok) {
					t.Errorf("the logs contain the token")
				}
				// No part of a JWT (header, payload or signature) may leak either.
				for _, part := range strings.Split(tok, ".") {
					if len(part) > 16 && strings.Contains(f.logs.String()+w.Body.String(), part) {
						t.Errorf("logs or body contain a token segment")
					}
				}
			}
		})
	}
}

func TestPrincipal(t *testing.T) {
	t.Run("a v2 app token becomes an entra principal keyed by oid", func(t *testing.T) {
		f := newFixture(t, nil)
		c := v2Role(f)
		c["groups"] = []string{strings.ToUpper(kafkaGroup)}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+f.srv.Sign(c))
		p, err := f.auth.Authenticate(r)
		if err != nil {
			t.Fatal(err)
		}
		if p.Scheme != "entra" || p.ID != c["oid"] || p.Name != c["azp"] {
			t.Errorf("principal = %+v", p)
		}
		if len(p.Roles) != 1 || p.Roles[0] != produceRole || len(p.Groups) != 1 || p.Groups[0] != kafkaGroup {
			t.Errorf("roles/groups = %v / %v", p.Roles, p.Groups)
		}
	})
	t.Run("without oid the v1 appid is the ID", func(t *testing.T) {
		f := newFixture(t, nil)
		c := v1Group(f)
		delete(c, "oid")
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+f.srv.Sign(c))
		p, err := f.auth.Authenticate(r)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != c["appid"] {
			t.Errorf("ID = %q, want appid %q", p.ID, c["appid"])
		}
	})
	t.Run("with no allow-list any valid token of the tenant passes", func(t *testing.T) {
		f := newFixture(t, func(c *bearer.EntraConfig) { c.AllowedGroups, c.AllowedRoles = nil, nil })
		if w := f.do(t, "Bearer "+f.srv.Sign(f.srv.Claims("2.0", apiClientID))); w.Code != 200 {
			t.Fatalf("status = %d: %s", w.Code, w.Body)
		}
	})
	t.Run("overage with only roles configured is a plain 403", func(t *testing.T) {
		f := newFixture(t, func(c *bearer.EntraConfig) { c.AllowedGroups = nil })
		c := f.srv.Claims("1.0", appIDURI)
		c["_claim_names"] = map[string]string{"groups": "src1"}
		w := f.do(t, "Bearer "+f.srv.Sign(c))
		if w.Code != 403 || !strings.Contains(w.Body.String(), `"forbidden"`) {
			t.Fatalf("status = %d: %s", w.Code, w.Body)
		}
	})
}

func TestKeys(t *testing.T) {
	t.Run("building the authenticator makes no network calls", func(t *testing.T) {
		f := newFixture(t, nil)
		if n := f.srv.KeysCalls() + f.srv.MetadataCalls(); n != 0 {
			t.Fatalf("calls after New = %d, want 0", n)
		}
		if w := f.do(t, "Bearer "+f.srv.Sign(v2Role(f))); w.Code != 200 {
			t.Fatalf("status = %d", w.Code)
		}
		if n := f.srv.KeysCalls(); n != 2 {
			t.Fatalf("key-set calls after the first request = %d, want 2 (v2 and v1 paths)", n)
		}
		f.do(t, "Bearer "+f.srv.Sign(v1Group(f)))
		if n := f.srv.KeysCalls(); n != 2 {
			t.Fatalf("key-set calls after the second request = %d, want 2 (cached)", n)
		}
	})
	t.Run("concurrent cold requests fetch the key sets once", func(t *testing.T) {
		f := newFixture(t, nil)
		tok := "Bearer " + f.srv.Sign(v2Role(f))
		var wg sync.WaitGroup
		codes := make([]int, 16)
		for i := range codes {
			wg.Go(func() { codes[i] = f.do(t, tok).Code })
		}
		wg.Wait()
		for i, c := range codes {
			if c != 200 {
				t.Fatalf("request %d: status %d", i, c)
			}
		}
		if n := f.srv.KeysCalls(); n != 2 {
			t.Fatalf("key-set calls = %d, want 2", n)
		}
	})
	t.Run("after rotation a token with the new kid is accepted with one refetch", func(t *testing.T) {
		f := newFixture(t, nil)
		if w := f.do(t, "Bearer "+f.srv.Sign(v2Role(f))); w.Code != 200 {
			t.Fatalf("before rotation: %d", w.Code)
		}
		before := f.srv.KeysCalls()
		f.srv.Rotate(t, true)
		if w := f.do(t, "Bearer "+f.srv.Sign(v2Role(f))); w.Code != 200 {
			t.Fatalf("after rotation: %d %s", w.Code, w.Body)
		}
		if n := f.srv.KeysCalls() - before; n < 1 || n > 2 {
			t.Fatalf("refetch calls = %d, want 1 or 2", n)
		}
	})
	t.Run("a flood of unknown kids causes at most one refetch", func(t *testing.T) {
		f := newFixture(t, nil)
		f.do(t, "Bearer "+f.srv.Sign(v2Role(f)))
		before := f.srv.KeysCalls()
		key := entratest.NewKey(t)
		for i := range 20 {
			w := f.do(t, "Bearer "+entratest.SignWith(key, "bogus-"+string(rune('a'+i)), v2Role(f)))
			if w.Code != 401 {
				t.Fatalf("bogus kid %d: status %d", i, w.Code)
			}
		}
		if n := f.srv.KeysCalls() - before; n > 2 {
			t.Fatalf("refetch calls for 20 bogus kids = %d, want ≤ 2 (one refresh)", n)
		}
	})
	t.Run("keys that cannot be fetched → 503, and the service recovers", func(t *testing.T) {
		f := newFixture(t, nil)
		f.srv.SetDown(true)
		w := f.do(t, "Bearer "+f.srv.Sign(v2Role(f)))
		if w.Code != 503 || !strings.Contains(w.Body.String(), "keys_unavailable") {
			t.Fatalf("while down: %d %s", w.Code, w.Body)
		}
		f.srv.SetDown(false)
		// A new authenticator against the same server recovers at once (the failed one waits
		// out a short backoff, which this test does not sleep through).
		a, err := bearer.New(bearer.EntraConfig{TenantID: f.srv.Tenant, Audiences: []string{apiClientID}, AuthorityHost: f.srv.URL},
			bearer.WithHTTPClient(f.srv.Client()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Validate(context.Background(), f.srv.Sign(v2Role(f))); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	})
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  bearer.EntraConfig
	}{
		{"a disabled config is refused", bearer.EntraConfig{}},
		{"a config without audiences is refused", bearer.EntraConfig{TenantID: entratest.DefaultTenant}},
		{"a plain-http authority host is refused", bearer.EntraConfig{TenantID: entratest.DefaultTenant, Audiences: []string{"a"}, AuthorityHost: "http://127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := bearer.New(tc.cfg); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	srv := entratest.New(b)
	a, err := bearer.New(bearer.EntraConfig{TenantID: srv.Tenant, Audiences: []string{apiClientID}, AuthorityHost: srv.URL},
		bearer.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	tok := srv.Sign(srv.Claims("2.0", apiClientID))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
