package authconfig_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// quiet discards the start-up log lines of the configurations under test.
var quiet = authconfig.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

func envOf(m map[string]string, loopback bool) platform.Env {
	return platform.Env{Getenv: func(k string) string { return m[k] }, Platform: "local", LoopbackOnly: loopback}
}

func TestGuard(t *testing.T) {
	t.Run("nothing configured fails with ErrNoAuth naming the variables", func(t *testing.T) {
		_, err := authconfig.Guard(envOf(nil, true), quiet)
		if !errors.Is(err, authconfig.ErrNoAuth) {
			t.Fatalf("err %v", err)
		}
		for _, v := range []string{"AUTH_ENTRA_TENANT_ID", "AUTH_API_KEYS", "AUTH_OIDC", "AUTH_AWS_AUTHORIZER", "AUTH_TC3_CREDENTIALS"} {
			if !strings.Contains(err.Error(), v) {
				t.Errorf("%s is not named: %v", v, err)
			}
		}
	})
	t.Run("the dev mode on loopback is the dev guard, announced loudly", func(t *testing.T) {
		var logs bytes.Buffer
		g, err := authconfig.Guard(envOf(map[string]string{"AUTH_INSECURE_DEV": "true"}, true),
			authconfig.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil || !g.Dev() || !strings.Contains(logs.String(), "level=WARN") {
			t.Fatalf("guard %v err %v logs %s", g, err, logs.String())
		}
	})
	t.Run("a policy that grants consume but names no consumer group is warned about", func(t *testing.T) {
		for doc, warned := range map[string]bool{
			`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["*"]}]}`:                true,
			`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["*"],"groups":["*"]}]}`: false,
		} {
			var logs bytes.Buffer
			_, err := authconfig.Guard(envOf(map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa:k", "AUTH_POLICY": doc}, false),
				authconfig.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil || strings.Contains(logs.String(), "names no consumer group") != warned {
				t.Errorf("%s: err %v, warned %v, logs %s", doc, err, !warned, logs.String())
			}
		}
	})
	t.Run("the dev mode cannot be mixed with a policy", func(t *testing.T) {
		_, err := authconfig.Guard(envOf(map[string]string{"AUTH_INSECURE_DEV": "true",
			"AUTH_POLICY": `{"rules":[{"principals":["*"],"ops":["*"],"topics":["*"]}]}`}, true), quiet)
		if err == nil || !strings.Contains(err.Error(), "AUTH_POLICY") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("TC3 credentials are a scheme of every route", func(t *testing.T) {
		env := envOf(map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa:k"}, false)
		g, err := authconfig.Guard(env, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Authenticate(httptest.NewRequest(http.MethodGet, "/v1/metadata/topics", nil)); err == nil {
			t.Fatal("a request without credentials was authenticated")
		}
		r := httptest.NewRequest(http.MethodGet, "http://kafkafn.example/v1/metadata/topics?x=1", nil)
		r.Header.Set("Content-Type", "application/json")
		tc3.SignRoute(r, nil, "AKIDa", "k", "ckafka", time.Now())
		if p, err := g.Authenticate(r); err != nil || p.ID != "AKIDa" {
			t.Fatalf("a route-signed request: %+v %v", p, err)
		}
		// The SDK form (canonical URI "/") is refused on a route.
		r = httptest.NewRequest(http.MethodPost, "http://kafkafn.example/v1/producer/topics/orders", nil)
		r.Header.Set("Content-Type", "application/json")
		tc3.Sign(r, nil, "AKIDa", "k", "ckafka", time.Now())
		if _, err := g.Authenticate(r); err == nil {
			t.Fatal("a /-signed request was accepted on a route")
		}
	})
	t.Run("AUTH_TC3_SERVICE names the signed service", func(t *testing.T) {
		g, err := authconfig.Guard(envOf(map[string]string{"AUTH_TC3_CREDENTIALS": "AKIDa:k", "AUTH_TC3_SERVICE": "kafkafn"}, false), quiet)
		if err != nil {
			t.Fatal(err)
		}
		for service, ok := range map[string]bool{"kafkafn": true, "ckafka": false} {
			r := httptest.NewRequest(http.MethodGet, "http://kafkafn.example/v1/metadata/topics", nil)
			r.Header.Set("Content-Type", "application/json")
			tc3.SignRoute(r, nil, "AKIDa", "k", service, time.Now())
			if _, err := g.Authenticate(r); (err == nil) != ok {
				t.Errorf("service %s: %v", service, err)
			}
		}
	})
	t.Run("an authenticator of the binary's own counts as configured", func(t *testing.T) {
		v, err := tc3.NewVerifier("ckafka", map[string][]string{"AKIDa": {"k"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := authconfig.Guard(envOf(nil, false), quiet, authconfig.WithAuthenticators(v)); err != nil {
			t.Fatalf("WithAuthenticators was not counted: %v", err)
		}
	})
	t.Run("Entra configuration wires the bearer authenticator", func(t *testing.T) {
		idp := entratest.New(t)
		g, err := authconfig.Guard(envOf(map[string]string{"AUTH_ENTRA_TENANT_ID": idp.Tenant, "AUTH_ENTRA_AUDIENCE": "api://x",
			"AUTH_ENTRA_AUTHORITY_HOST": idp.URL}, false), quiet, authconfig.WithBearerOptions(bearer.WithHTTPClient(idp.Client())))
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/v1/metadata/topics", nil)
		r.Header.Set("Authorization", "Bearer "+idp.Sign(idp.Claims("2.0", "api://x")))
		p, err := g.Authenticate(r)
		if err != nil || p.Scheme != bearer.Scheme {
			t.Fatalf("principal %+v err %v", p, err)
		}
		if err := g.Allow(auth.NewContext(t.Context(), p), auth.OpAdmin, "orders"); err == nil {
			t.Fatal("the default policy allowed admin")
		}
		if err := g.Allow(auth.NewContext(t.Context(), p), auth.OpProduce, "orders"); err != nil {
			t.Fatalf("the default policy denied produce: %v", err)
		}
	})
}
