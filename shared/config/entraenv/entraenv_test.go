package entraenv_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/auth/entra"
	"github.com/kafkafn/kafkafn/shared/config/entraenv"
)

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		c, err := entraenv.FromEnv(env(map[string]string{"TOKEN_TENANT_ID": tenant}))
		if err != nil {
			t.Fatal(err)
		}
		if c.AuthorityHost != entra.DefaultAuthorityHost || len(c.AllowedScopes) != 1 || c.AllowedScopes[0] != entra.DefaultScope ||
			c.HTTPTimeout != 10*time.Second || c.Region != "" || c.MaxClients != 500 || c.FailureLimit != 5 || c.FailureWindow != time.Minute {
			t.Fatalf("%+v", c)
		}
	})
	t.Run("a verified domain is a valid tenant", func(t *testing.T) {
		if _, err := entraenv.FromEnv(env(map[string]string{"TOKEN_TENANT_ID": "Contoso.onmicrosoft.com"})); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		mention string
	}{
		{"no tenant is refused", nil, "TOKEN_TENANT_ID"},
		{"the common endpoint is refused", map[string]string{"TOKEN_TENANT_ID": "common"}, "TOKEN_TENANT_ID"},
		{"a tenant with a slash is refused", map[string]string{"TOKEN_TENANT_ID": "a/b"}, "TOKEN_TENANT_ID"},
		{"an http authority is refused", map[string]string{"TOKEN_TENANT_ID": tenant, "TOKEN_AUTHORITY_HOST": "http://x"}, "TOKEN_AUTHORITY_HOST"},
		{"a bad timeout is refused", map[string]string{"TOKEN_TENANT_ID": tenant, "TOKEN_HTTP_TIMEOUT": "forever"}, "TOKEN_HTTP_TIMEOUT"},
		{"a scope with a space is refused", map[string]string{"TOKEN_TENANT_ID": tenant, "TOKEN_ALLOWED_SCOPES": "a b"}, "TOKEN_ALLOWED_SCOPES"},
		{"a region with a dot is refused", map[string]string{"TOKEN_TENANT_ID": tenant, "TOKEN_AZURE_REGION": "west.us"}, "TOKEN_AZURE_REGION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := entraenv.FromEnv(env(tc.vars))
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %v, want one naming %s", err, tc.mention)
			}
		})
	}
}
