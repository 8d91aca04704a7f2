package bearer_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/auth/policy"
)

const cognitoClient = "3n4b5urk1ft4fl3mg5e62d9ado"

// oidcFixture: a Cognito-shaped issuer (discovered), a Keycloak-shaped issuer (explicit
// jwks_uri) and one OIDC authenticator for both, with the Entra preset beside them.
type oidcFixture struct {
	cognito, keycloak *entratest.Issuer
	entra             *entratest.Server
	a                 *bearer.OIDC
	logs              *logtest.Buffer
}

func newOIDCFixture(t *testing.T) *oidcFixture {
	t.Helper()
	f := &oidcFixture{cognito: entratest.NewIssuer(t, "/us-east-1_AbCdEf123"), keycloak: entratest.NewIssuer(t, "/realms/kafkafn"),
		entra: entratest.New(t), logs: &logtest.Buffer{}}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// httptest's TLS servers share one test certificate: one client trusts all three.
	client := f.cognito.Client()
	entra, err := bearer.New(bearer.EntraConfig{TenantID: f.entra.Tenant, Audiences: []string{"api://kafkafn"}, AuthorityHost: f.entra.URL},
		bearer.WithHTTPClient(client), bearer.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	f.a, err = bearer.NewOIDC([]bearer.OIDCIssuer{
		{Issuer: f.cognito.URL, Audience: []string{cognitoClient}, Name: "cognito", GroupsClaim: "cognito:groups", SubjectClaim: "sub"},
		{Issuer: f.keycloak.URL, Audience: []string{"kafkafn"}, JWKSURI: f.keycloak.URL + "/jwks", Name: "keycloak",
			RolesClaim: "realm_access.roles", GroupsClaim: "groups", SubjectClaim: "preferred_username"},
	}, entra, bearer.WithHTTPClient(client), bearer.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// cognitoAccess is a Cognito user-pool access token: no aud, client_id, cognito:groups.
func (f *oidcFixture) cognitoAccess() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": f.cognito.URL, "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "client_id": cognitoClient,
		"token_use": "access", "scope": "kafkafn/produce", "cognito:groups": []string{"writers", "readers"},
		"username": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "auth_time": now.Unix()}
}

// keycloakAccess is a Keycloak ≥ 17 access token with realm roles.
func (f *oidcFixture) keycloakAccess() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": f.keycloak.URL, "sub": "f:1234:bob", "aud": []string{"account", "kafkafn"}, "azp": "kafkafn-cli",
		"preferred_username": "bob", "realm_access": map[string]any{"roles": []string{"offline_access", "kafka-writer"}},
		"groups": []string{"/ops"}, "typ": "Bearer", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
}

func (f *oidcFixture) do(t *testing.T, token string) (*auth.Principal, error) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/v1/metadata/topics", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return f.a.Authenticate(r)
}

func TestOIDCIssuers(t *testing.T) {
	f := newOIDCFixture(t)
	t.Run("a Cognito access token (no aud, client_id) is oidc:cognito#<sub> with its cognito:groups", func(t *testing.T) {
		p, err := f.do(t, f.cognito.Sign(jwt.SigningMethodRS256, f.cognitoAccess()))
		if err != nil {
			t.Fatal(err)
		}
		if p.Scheme != "oidc" || p.ID != "cognito#aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" || p.Issuer != "cognito" ||
			!slices.Equal(p.Groups, []string{"writers", "readers"}) {
			t.Fatalf("%+v", p)
		}
		if f.cognito.MetadataCalls() != 1 || f.cognito.KeysCalls() != 1 {
			t.Fatalf("discovery %d, keys %d", f.cognito.MetadataCalls(), f.cognito.KeysCalls())
		}
	})
	t.Run("a Keycloak token carries realm_access.roles, a chosen subject claim and an aud list", func(t *testing.T) {
		p, err := f.do(t, f.keycloak.Sign(jwt.SigningMethodRS256, f.keycloakAccess()))
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != "keycloak#bob" || !slices.Equal(p.Roles, []string{"offline_access", "kafka-writer"}) ||
			!slices.Equal(p.Groups, []string{"/ops"}) || f.keycloak.MetadataCalls() != 0 {
			t.Fatalf("%+v (metadata calls %d: jwks_uri was configured)", p, f.keycloak.MetadataCalls())
		}
	})
	t.Run("ES256 and PS256 tokens are accepted", func(t *testing.T) {
		for _, m := range []jwt.SigningMethod{jwt.SigningMethodES256, jwt.SigningMethodPS256} {
			if _, err := f.do(t, f.keycloak.Sign(m, f.keycloakAccess())); err != nil {
				t.Errorf("%s: %v", m.Alg(), err)
			}
		}
	})
	t.Run("the Entra preset still validates Entra tokens next to the OIDC issuers", func(t *testing.T) {
		p, err := f.do(t, f.entra.Sign(f.entra.Claims("2.0", "api://kafkafn")))
		if err != nil || p.Scheme != bearer.Scheme {
			t.Fatalf("%+v %v", p, err)
		}
	})
	t.Run("the policy scopes groups and roles to their issuer", func(t *testing.T) {
		pol, err := policy.Parse("AUTH_POLICY", []byte(`{"rules":[
		  {"principals":["oidc-group:cognito#writers","oidc-role:keycloak#kafka-writer"],"ops":["produce"],"topics":["orders"]},
		  {"principals":["oidc-group:keycloak#writers"],"ops":["admin"],"topics":["*"]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		cp, _ := f.do(t, f.cognito.Sign(jwt.SigningMethodRS256, f.cognitoAccess()))
		kp, _ := f.do(t, f.keycloak.Sign(jwt.SigningMethodRS256, f.keycloakAccess()))
		if pol.Allow(cp, auth.OpProduce, "orders") != nil || pol.Allow(kp, auth.OpProduce, "orders") != nil {
			t.Fatal("a group or role of its own issuer was not honoured")
		}
		if pol.Allow(cp, auth.OpAdmin, "orders") == nil {
			t.Fatal("cognito's group writers was honoured as keycloak's")
		}
	})

	now := time.Now()
	bad := []struct {
		name  string
		token func() string
	}{
		{"wrong aud", func() string {
			c := f.keycloakAccess()
			c["aud"] = "someone-else"
			return f.keycloak.Sign(jwt.SigningMethodRS256, c)
		}},
		{"Cognito token with another client_id", func() string {
			c := f.cognitoAccess()
			c["client_id"] = "other"
			return f.cognito.Sign(jwt.SigningMethodRS256, c)
		}},
		{"Cognito token with neither aud nor client_id", func() string {
			c := f.cognitoAccess()
			delete(c, "client_id")
			return f.cognito.Sign(jwt.SigningMethodRS256, c)
		}},
		{"an aud present but wrong does not fall back to client_id", func() string {
			c := f.cognitoAccess()
			c["aud"] = "other"
			return f.cognito.Sign(jwt.SigningMethodRS256, c)
		}},
		{"unknown issuer", func() string {
			c := f.keycloakAccess()
			c["iss"] = "https://evil.example"
			return f.keycloak.Sign(jwt.SigningMethodRS256, c)
		}},
		{"issuer with a trailing slash", func() string {
			c := f.keycloakAccess()
			c["iss"] = f.keycloak.URL + "/"
			return f.keycloak.Sign(jwt.SigningMethodRS256, c)
		}},
		{"signed by the other issuer's key", func() string { return f.cognito.Sign(jwt.SigningMethodRS256, f.keycloakAccess()) }},
		{"expired beyond the leeway", func() string {
			c := f.keycloakAccess()
			c["exp"] = now.Add(-bearer.Leeway - time.Minute).Unix()
			return f.keycloak.Sign(jwt.SigningMethodRS256, c)
		}},
		{"no exp", func() string {
			c := f.keycloakAccess()
			delete(c, "exp")
			return f.keycloak.Sign(jwt.SigningMethodRS256, c)
		}},
		{"nbf in the future", func() string {
			c := f.keycloakAccess()
			c["nbf"] = now.Add(bearer.Leeway + time.Minute).Unix()
			return f.keycloak.Sign(jwt.SigningMethodRS256, c)
		}},
		{"iat in the future", func() string {
			c := f.keycloakAccess()
			c["iat"] = now.Add(bearer.Leeway + time.Minute).Unix()
			return f.keycloak.Sign(jwt.SigningMethodRS256, c)
		}},
		{"alg none", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, f.keycloakAccess())
			tok.Header["kid"], _ = f.keycloak.RSAKey()
			s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}},
		{"HS256 with the public key as secret", func() string {
			kid, key := f.keycloak.RSAKey()
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.keycloakAccess())
			tok.Header["kid"] = kid
			s, _ := tok.SignedString(key.PublicKey.N.Bytes())
			return s
		}},
		{"RS384 (not allowed)", func() string {
			kid, key := f.keycloak.RSAKey()
			tok := jwt.NewWithClaims(jwt.SigningMethodRS384, f.keycloakAccess())
			tok.Header["kid"] = kid
			s, _ := tok.SignedString(key)
			return s
		}},
		{"unknown kid", func() string { return entratest.SignWith(entratest.NewKey(t), "nobody-knows", f.keycloakAccess()) }},
		{"bad signature under a known kid", func() string {
			kid, _ := f.keycloak.RSAKey()
			return entratest.SignWith(entratest.NewKey(t), kid, f.keycloakAccess())
		}},
		{"no kid", func() string { return entratest.SignWith(entratest.NewKey(t), "", f.keycloakAccess()) }},
		{"ES256 header over the RSA kid", func() string {
			kid, _ := f.keycloak.RSAKey()
			tok := f.keycloak.Sign(jwt.SigningMethodES256, f.keycloakAccess())
			parts := strings.Split(tok, ".")
			hdr := segment(map[string]any{"alg": "ES256", "kid": kid, "typ": "JWT"})
			return hdr + "." + parts[1] + "." + parts[2]
		}},
		{"no subject claim", func() string {
			c := f.keycloakAccess()
			delete(c, "preferred_username")
			return f.keycloak.Sign(jwt.SigningMethodRS256, c)
		}},
		{"not a JWT", func() string { return "abc.def.ghi" }},
	}
	for _, tc := range bad {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			tok := tc.token()
			p, err := f.do(t, tok)
			if err == nil {
				t.Fatalf("accepted as %+v", p)
			}
			if apierr.KindOf(err) != apierr.Unauthorized || f.a.Challenge(err) != `Bearer error="invalid_token"` {
				t.Fatalf("kind %v challenge %q: %v", apierr.KindOf(err), f.a.Challenge(err), err)
			}
			if strings.Contains(err.Error(), tok) || strings.Contains(f.logs.String(), tok) {
				t.Fatal("the token was echoed")
			}
		})
	}
	t.Run("a token just expired within the leeway is accepted", func(t *testing.T) {
		c := f.keycloakAccess()
		c["exp"] = time.Now().Add(-time.Minute).Unix()
		if _, err := f.do(t, f.keycloak.Sign(jwt.SigningMethodRS256, c)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOIDCRotationAndOutage(t *testing.T) {
	f := newOIDCFixture(t)
	if _, err := f.do(t, f.cognito.Sign(jwt.SigningMethodRS256, f.cognitoAccess())); err != nil {
		t.Fatal(err)
	}
	keys := f.cognito.KeysCalls()
	f.cognito.RotateRSA(t)
	if _, err := f.do(t, f.cognito.Sign(jwt.SigningMethodRS256, f.cognitoAccess())); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if f.cognito.KeysCalls() != keys+1 {
		t.Fatalf("keys fetched %d times after one rotation", f.cognito.KeysCalls()-keys)
	}
	// A flood of unknown kids costs no further fetch (rate limited).
	for range 5 {
		if _, err := f.do(t, entratest.SignWith(entratest.NewKey(t), "bogus", f.cognitoAccess())); err == nil {
			t.Fatal("accepted")
		}
	}
	if f.cognito.KeysCalls() != keys+1 {
		t.Fatalf("unknown kids caused %d fetches", f.cognito.KeysCalls()-keys-1)
	}
	// An issuer that is down before its first fetch is a retryable 503, not a 401.
	f.keycloak.SetDown(true)
	_, err := f.do(t, f.keycloak.Sign(jwt.SigningMethodRS256, f.keycloakAccess()))
	if apierr.KindOf(err) != apierr.Unavailable {
		t.Fatalf("issuer down: %v", err)
	}
}

func TestOIDCDiscoveryIssuerMismatch(t *testing.T) {
	is := entratest.NewIssuer(t, "/pool")
	// Configured with a different (but same-host) issuer string: discovery's issuer must match exactly.
	a, err := bearer.NewOIDC([]bearer.OIDCIssuer{{Issuer: is.URL + "/", Audience: []string{"x"}, Name: "p", SubjectClaim: "sub"}}, nil,
		bearer.WithHTTPClient(is.Client()), bearer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	c := jwt.MapClaims{"iss": is.URL + "/", "sub": "s", "aud": "x", "exp": time.Now().Add(time.Hour).Unix()}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+is.Sign(jwt.SigningMethodRS256, c))
	if _, err := a.Authenticate(r); err == nil {
		t.Fatal("accepted a token whose issuer's metadata names another issuer")
	}
}

func BenchmarkOIDCAuthenticateToken(b *testing.B) {
	is := entratest.NewIssuer(b, "/realms/bench")
	a, err := bearer.NewOIDC([]bearer.OIDCIssuer{{Issuer: is.URL, Audience: []string{"kafkafn"}, Name: "kc", SubjectClaim: "sub",
		RolesClaim: "realm_access.roles"}}, nil, bearer.WithHTTPClient(is.Client()), bearer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []jwt.SigningMethod{jwt.SigningMethodRS256, jwt.SigningMethodES256} {
		tok := is.Sign(m, jwt.MapClaims{"iss": is.URL, "sub": "u", "aud": "kafkafn", "exp": time.Now().Add(time.Hour).Unix(),
			"realm_access": map[string]any{"roles": []string{"writer"}}})
		b.Run(m.Alg(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.AuthenticateToken(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
