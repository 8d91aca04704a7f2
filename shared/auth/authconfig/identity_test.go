package authconfig_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
)

func TestOIDCFromEnv(t *testing.T) {
	is := entratest.NewIssuer(t, "/realms/kafkafn")
	g, err := authconfig.Guard(envOf(map[string]string{
		"AUTH_OIDC":   `[{"issuer":"` + is.URL + `","audience":"kafkafn","name":"kc","roles_claim":"realm_access.roles"}]`,
		"AUTH_POLICY": `{"rules":[{"principals":["oidc-role:kc#writer"],"ops":["produce"],"topics":["orders"]}]}`,
	}, false), quiet, authconfig.WithBearerOptions(bearer.WithHTTPClient(is.Client())))
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{"iss": is.URL, "sub": "u1", "aud": "kafkafn", "exp": time.Now().Add(time.Hour).Unix(),
		"realm_access": map[string]any{"roles": []string{"writer"}}}
	r := httptest.NewRequest(http.MethodPost, "/v1/producer/topics/orders", nil)
	r.Header.Set("Authorization", "Bearer "+is.Sign(jwt.SigningMethodES256, claims))
	p, err := g.Authenticate(r)
	if err != nil || p.ID != "kc#u1" {
		t.Fatalf("%+v %v", p, err)
	}
	ctx := auth.NewContext(t.Context(), p)
	if g.Allow(ctx, auth.OpProduce, "orders") != nil || g.Allow(ctx, auth.OpProduce, "payments") == nil {
		t.Fatal("the policy did not apply to the OIDC principal")
	}
	for _, tc := range []struct{ value, want string }{
		{`{"issuer":"x"}`, "JSON list"},
		{`[{"issuer":"http://idp","audience":"a"}]`, "https"},
		{`[{"issuer":"https://idp"}]`, "audience"},
		{`[{"issuer":"https://idp","audience":"a","name":"a#b"}]`, "name"},
		{`[{"issuer":"https://idp","audience":"a"},{"issuer":"https://idp","audience":"b"}]`, "twice"},
		{`[{"issuer":"https://idp","audience":"a","groups":"g"}]`, "unknown field"},
	} {
		_, err := authconfig.Guard(envOf(map[string]string{"AUTH_OIDC": tc.value}, false), quiet)
		if err == nil || !strings.Contains(err.Error(), "AUTH_OIDC") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.value, err)
		}
	}
}

func TestAWSAuthorizerOnlyOnLambda(t *testing.T) {
	for _, platformName := range []string{"local", "azure", "scf", "scf-web", "aws"} {
		env := envOf(map[string]string{"AUTH_AWS_AUTHORIZER": "true"}, true)
		env.Platform = platformName
		g, err := authconfig.Guard(env, quiet)
		if platformName == "aws" {
			if err != nil {
				t.Fatalf("aws: %v", err)
			}
			// No caller context in the request: 401, not a pass.
			if _, err := g.Authenticate(httptest.NewRequest(http.MethodGet, "/v1/metadata/topics", nil)); err == nil {
				t.Fatal("a request without an authorizer context was authenticated")
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "AUTH_AWS_AUTHORIZER: refused") {
			t.Errorf("%s: %v", platformName, err)
		}
	}
	env := envOf(map[string]string{"AUTH_AWS_AUTHORIZER": "true", "AUTH_INSECURE_DEV": "true"}, true)
	if _, err := authconfig.Guard(env, quiet); err == nil || !strings.Contains(err.Error(), "AUTH_AWS_AUTHORIZER") {
		t.Errorf("dev mode with the authorizer mode: %v", err)
	}
}
