package token_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/functions/token"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/entra"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

const (
	clientID  = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"
	secret    = "s3cr3t~Value.With_Specials-0123456789ab" // the shape of an Entra client secret
	clientID2 = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
	secret2   = "another~Secret.Value_for-the_second_app"
	hibScope  = "https://hib.azurehdinsight.net/.default"
)

type fixture struct {
	srv  *entratest.Server
	src  *entra.Source
	h    http.Handler
	logs *logtest.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	t.Setenv("MSAL_FORCE_REGION", "")
	srv := entratest.New(t)
	srv.Register(entratest.App{ClientID: clientID, Secret: secret, Roles: []string{"Kafka.Produce"}})
	srv.Register(entratest.App{ClientID: clientID2, Secret: secret2, Version: "1.0"})
	cfg := entra.Config{
		AuthorityHost: srv.URL,
		TenantID:      srv.Tenant,
		AllowedScopes: []string{hibScope},
		HTTPTimeout:   5 * time.Second,
		MaxClients:    8,
		FailureLimit:  3,
		FailureWindow: time.Hour,
	}
	src, err := entra.New(cfg, entra.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	token.Register(mux, token.Deps{Source: src, Config: cfg, Limits: httpio.Limits{RequestTimeout: 10 * time.Second}, Log: log})
	f := &fixture{srv: srv, src: src, h: httpio.Serve(mux, log), logs: logs}
	t.Cleanup(func() {
		for _, s := range []string{secret, secret2, "wrong-" + secret} {
			if strings.Contains(logs.String(), s) {
				t.Errorf("the logs contain a client secret")
			}
		}
	})
	return f
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func okForm() string {
	return form("grant_type", "client_credentials", "client_id", clientID, "client_secret", secret, "scope", hibScope)
}

func (f *fixture) post(t *testing.T, contentType, body string, edit ...func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/token", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for _, e := range edit {
		e(r)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if cc := w.Header().Get("Cache-Control"); w.Code != http.StatusMethodNotAllowed && cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	for _, s := range []string{secret, secret2} {
		if strings.Contains(w.Body.String(), s) && w.Code != 200 {
			t.Errorf("the response echoes a client secret")
		}
	}
	return w
}

func decodeToken(t *testing.T, w *httptest.ResponseRecorder) token.Response {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", w.Code, w.Body)
	}
	var resp token.Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.TokenType != "Bearer" || resp.AccessToken == "" || resp.ExpiresIn < 3000 || resp.ExpiresIn > 3600 {
		t.Fatalf("token response = %+v", resp)
	}
	return resp
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) token.ErrorResponse {
	t.Helper()
	var resp token.ErrorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	return resp
}

func TestTokenSuccess(t *testing.T) {
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		edit        func(*http.Request)
	}{
		{"a form body gets a token", "application/x-www-form-urlencoded", okForm(), nil},
		{"a JSON body gets a token", "application/json",
			`{"grant_type":"client_credentials","client_id":"` + clientID + `","client_secret":"` + secret + `","scope":"` + hibScope + `"}`, nil},
		{"HTTP Basic client authentication gets a token", "application/x-www-form-urlencoded",
			form("grant_type", "client_credentials", "scope", hibScope),
			func(r *http.Request) { r.SetBasicAuth(clientID, secret) }},
		{"without a scope the default scope is used", "application/x-www-form-urlencoded",
			form("grant_type", "client_credentials", "client_id", clientID, "client_secret", secret), nil},
		{"a form content type with a charset is accepted", "application/x-www-form-urlencoded; charset=utf-8", okForm(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var edits []func(*http.Request)
			if tc.edit != nil {
				edits = append(edits, tc.edit)
			}
			resp := decodeToken(t, f.post(t, tc.contentType, tc.body, edits...))
			// The token is a real Entra-style JWT: kafkafn's own bearer validator accepts it
			// when configured for the HDInsight audience and the app's role.
			a, err := bearer.New(bearer.EntraConfig{TenantID: f.srv.Tenant, Audiences: []string{"https://hib.azurehdinsight.net"},
				AllowedRoles: []string{"Kafka.Produce"}, AuthorityHost: f.srv.URL}, bearer.WithHTTPClient(f.srv.Client()))
			if err != nil {
				t.Fatal(err)
			}
			c, err := a.Validate(context.Background(), resp.AccessToken)
			if err != nil {
				t.Fatalf("the issued token does not validate: %v", err)
			}
			if err := a.Authorize(c); err != nil || c.ClientID() != clientID {
				t.Fatalf("claims = %+v, authorize: %v", c, err)
			}
		})
	}
}

func TestTokenCache(t *testing.T) {
	t.Run("two requests for one identity cause one upstream token request", func(t *testing.T) {
		f := newFixture(t)
		first := decodeToken(t, f.post(t, "application/x-www-form-urlencoded", okForm()))
		second := decodeToken(t, f.post(t, "application/x-www-form-urlencoded", okForm()))
		if first.AccessToken != second.AccessToken {
			t.Error("the second request got a different token; want the cached one")
		}
		if n := f.srv.TokenCalls(); n != 1 {
			t.Fatalf("upstream token calls = %d, want 1", n)
		}
	})
	t.Run("N parallel cold requests cause one upstream token request", func(t *testing.T) {
		f := newFixture(t)
		const n = 16
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { codes[i] = f.post(t, "application/x-www-form-urlencoded", okForm()).Code })
		}
		wg.Wait()
		for i, c := range codes {
			if c != 200 {
				t.Fatalf("request %d: status %d", i, c)
			}
		}
		if got := f.srv.TokenCalls(); got != 1 {
			t.Fatalf("upstream token calls = %d, want 1", got)
		}
		if got := f.srv.MetadataCalls(); got != 1 {
			t.Fatalf("upstream metadata calls = %d, want 1", got)
		}
	})
	t.Run("two identities get two clients and two tokens", func(t *testing.T) {
		f := newFixture(t)
		decodeToken(t, f.post(t, "application/x-www-form-urlencoded", okForm()))
		decodeToken(t, f.post(t, "application/x-www-form-urlencoded",
			form("grant_type", "client_credentials", "client_id", clientID2, "client_secret", secret2)))
		if n := f.srv.TokenCalls(); n != 2 {
			t.Fatalf("upstream token calls = %d, want 2", n)
		}
		if n := f.src.Len(); n != 2 {
			t.Fatalf("cached clients = %d, want 2", n)
		}
	})
}

func TestTokenErrors(t *testing.T) {
	const formCT = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		edit        func(*http.Request)
		down        bool
		status      int
		code        string
		upstream    bool // whether the token endpoint may be called
	}{
		{"a wrong secret → 401 invalid_client", formCT,
			form("grant_type", "client_credentials", "client_id", clientID, "client_secret", "wrong-"+secret, "scope", hibScope),
			nil, false, 401, "invalid_client", true},
		{"an unknown client → 401 invalid_client", formCT,
			form("grant_type", "client_credentials", "client_id", "00000000-0000-4000-8000-000000000000", "client_secret", secret),
			nil, false, 401, "invalid_client", true},
		{"a missing secret → 401 invalid_client", formCT,
			form("grant_type", "client_credentials", "client_id", clientID), nil, false, 401, "invalid_client", false},
		{"the identity provider down → 503 temporarily_unavailable", formCT, okForm(), nil, true, 503, "temporarily_unavailable", true},
		{"a scope not allowed → 400 invalid_scope", formCT,
			form("grant_type", "client_credentials", "client_id", clientID, "client_secret", secret, "scope", "https://graph.microsoft.com/.default"),
			nil, false, 400, "invalid_scope", false},
		{"an allowed scope next to another → 400 invalid_scope", formCT,
			form("grant_type", "client_credentials", "client_id", clientID, "client_secret", secret, "scope", hibScope+" openid"),
			nil, false, 400, "invalid_scope", false},
		{"grant_type password → 400 unsupported_grant_type", formCT,
			form("grant_type", "password", "client_id", clientID, "client_secret", secret, "username", "u", "password", "p"),
			nil, false, 400, "unsupported_grant_type", false},
		{"no grant_type → 400 invalid_request", formCT,
			form("client_id", clientID, "client_secret", secret), nil, false, 400, "invalid_request", false},
		{"a repeated parameter → 400 invalid_request", formCT, okForm() + "&client_id=" + clientID2,
			nil, false, 400, "invalid_request", false},
		{"a client_id that is not a GUID → 400 invalid_request", formCT,
			form("grant_type", "client_credentials", "client_id", "../../common", "client_secret", secret), nil, false, 400, "invalid_request", false},
		{"a body over 16 KiB → 413 invalid_request", formCT, okForm() + "&pad=" + strings.Repeat("x", token.MaxBodyBytes),
			nil, false, 413, "invalid_request", false},
		{"a text/plain body → 415 invalid_request", "text/plain", okForm(), nil, false, 415, "invalid_request", false},
		{"no content type → 415 invalid_request", "", okForm(), nil, false, 415, "invalid_request", false},
		{"JSON with an unknown field → 400 invalid_request", "application/json",
			`{"grant_type":"client_credentials","client_id":"` + clientID + `","client_secret":"` + secret + `","resource":"x"}`,
			nil, false, 400, "invalid_request", false},
		{"broken JSON → 400 invalid_request without echoing the secret", "application/json",
			`{"grant_type":"client_credentials","client_secret":"` + secret + `"`, nil, false, 400, "invalid_request", false},
		{"a secret both in Basic and the body → 400 invalid_request", formCT, okForm(),
			func(r *http.Request) { r.SetBasicAuth(clientID, secret) }, false, 400, "invalid_request", false},
		{"a bearer Authorization header → 401 invalid_client", formCT, okForm(),
			func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }, false, 401, "invalid_client", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.SetDown(tc.down)
			var edits []func(*http.Request)
			if tc.edit != nil {
				edits = append(edits, tc.edit)
			}
			w := f.post(t, tc.contentType, tc.body, edits...)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			e := decodeError(t, w)
			if e.Error != tc.code || e.Description == "" {
				t.Fatalf("error = %+v, want code %q", e, tc.code)
			}
			if tc.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tc.status >= 500 && w.Header().Get("Retry-After") == "" {
				t.Error("5xx without Retry-After")
			}
			if !tc.upstream && f.srv.TokenCalls() != 0 {
				t.Errorf("the identity provider was called %d times for a request refused locally", f.srv.TokenCalls())
			}
		})
	}
	t.Run("GET → 405", func(t *testing.T) {
		f := newFixture(t)
		r := httptest.NewRequest(http.MethodGet, "/v1/token", nil)
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		if w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("status = %d", w.Code)
		}
	})
}

func TestTokenThrottle(t *testing.T) {
	t.Run("repeated wrong secrets → 429 without asking the identity provider", func(t *testing.T) {
		f := newFixture(t)
		wrong := form("grant_type", "client_credentials", "client_id", clientID, "client_secret", "wrong-"+secret)
		for i := range 3 {
			if w := f.post(t, "application/x-www-form-urlencoded", wrong); w.Code != 401 {
				t.Fatalf("attempt %d: status %d", i, w.Code)
			}
		}
		calls := f.srv.TokenCalls()
		w := f.post(t, "application/x-www-form-urlencoded", wrong)
		if w.Code != 429 || decodeError(t, w).Error != "slow_down" || w.Header().Get("Retry-After") == "" {
			t.Fatalf("4th attempt: %d %s (Retry-After %q)", w.Code, w.Body, w.Header().Get("Retry-After"))
		}
		if f.srv.TokenCalls() != calls {
			t.Fatal("a throttled attempt reached the identity provider")
		}
		// A cold correct secret is throttled too: the route cannot tell it from a guess.
		if w := f.post(t, "application/x-www-form-urlencoded", okForm()); w.Code != 429 {
			t.Fatalf("cold correct secret while throttled: %d", w.Code)
		}
		// Another client ID is not affected.
		ok2 := form("grant_type", "client_credentials", "client_id", clientID2, "client_secret", secret2)
		decodeToken(t, f.post(t, "application/x-www-form-urlencoded", ok2))
	})
	t.Run("a credential that already got a token is not locked out by guessers", func(t *testing.T) {
		f := newFixture(t)
		decodeToken(t, f.post(t, "application/x-www-form-urlencoded", okForm()))
		wrong := form("grant_type", "client_credentials", "client_id", clientID, "client_secret", "wrong-"+secret)
		for range 5 {
			f.post(t, "application/x-www-form-urlencoded", wrong)
		}
		if w := f.post(t, "application/x-www-form-urlencoded", wrong); w.Code != 429 {
			t.Fatalf("guesser: %d, want 429", w.Code)
		}
		decodeToken(t, f.post(t, "application/x-www-form-urlencoded", okForm()))
	})
}

func TestRoutes(t *testing.T) {
	if len(token.Routes) != 1 || token.Routes[0].Pattern() != "POST /v1/token" {
		t.Fatalf("Routes = %+v", token.Routes)
	}
}

func TestTokenBasicEncoding(t *testing.T) {
	const id, oldSecret = "5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "old+Style/Secret=="
	for _, tc := range []struct{ name, user, pass string }{
		{"a raw Basic secret with + and / is used as is", id, oldSecret},
		{"a percent-encoded Basic secret is decoded", id, "old%2BStyle%2FSecret%3D%3D"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.Register(entratest.App{ClientID: id, Secret: oldSecret})
			decodeToken(t, f.post(t, "application/x-www-form-urlencoded", form("grant_type", "client_credentials"),
				func(r *http.Request) { r.SetBasicAuth(tc.user, tc.pass) }))
		})
	}
}

func BenchmarkTokenCacheHit(b *testing.B) {
	b.Setenv("MSAL_FORCE_REGION", "")
	srv := entratest.New(b)
	srv.Register(entratest.App{ClientID: clientID, Secret: secret})
	cfg := entra.Config{AuthorityHost: srv.URL, TenantID: srv.Tenant, AllowedScopes: []string{hibScope}, HTTPTimeout: 5 * time.Second}
	src, err := entra.New(cfg, entra.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	token.Register(mux, token.Deps{Source: src, Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	body := okForm()
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/v1/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
