package authenv_test

import (
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

func TestOIDCFromEnv(t *testing.T) {
	env := map[string]string{
		"AUTH_OIDC": `[{"issuer":"https://idp.example.com/","audience":["a","b"]},{"issuer":"https://kc.example.com/realms/r","audience":"k","name":"kc","roles_claim":"realm_access.roles"}]`,
	}
	oidc, err := authenv.OIDCFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(oidc) != 2 || oidc[0].Name != "https://idp.example.com/" || oidc[0].SubjectClaim != "sub" ||
		strings.Join(oidc[0].Audience, ",") != "a,b" || oidc[1].Name != "kc" {
		t.Fatalf("oidc %+v", oidc)
	}
}

func FuzzOIDCFromEnv(f *testing.F) {
	f.Add(`[{"issuer":"https://x","audience":"a"}]`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, oidc string) {
		issuers, err := authenv.OIDCFromEnv(func(k string) string {
			return map[string]string{"AUTH_OIDC": oidc}[k]
		})
		if err != nil {
			return
		}
		for _, is := range issuers {
			if !strings.HasPrefix(strings.ToLower(is.Issuer), "https://") || len(is.Audience) == 0 || is.Name == "" || is.SubjectClaim == "" {
				t.Fatalf("issuer %+v", is)
			}
		}
	})
}
