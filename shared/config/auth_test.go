package config_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config"
)

func TestAuthFromEnv(t *testing.T) {
	sum := sha256.Sum256([]byte("a-secret-of-at-least-16-bytes"))
	env := map[string]string{
		"AUTH_API_KEYS":       `{"ci":{"sha256":"` + hex.EncodeToString(sum[:]) + `"},"vault":{"secretEnv":"VAULT_KEY"}}`,
		"VAULT_KEY":           "a-secret-of-at-least-16-bytes",
		"AUTH_OIDC":           `[{"issuer":"https://idp.example.com/","audience":["a","b"]},{"issuer":"https://kc.example.com/realms/r","audience":"k","name":"kc","roles_claim":"realm_access.roles"}]`,
		"AUTH_AWS_AUTHORIZER": "true",
		"AUTH_TC3_SERVICE":    "kafkafn",
	}
	a, err := config.AuthFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(a.APIKeys) != 2 || hex.EncodeToString(a.APIKeys["vault"]) != hex.EncodeToString(sum[:]) {
		t.Fatalf("keys %x", a.APIKeys)
	}
	if len(a.OIDC) != 2 || a.OIDC[0].Name != "https://idp.example.com/" || a.OIDC[0].SubjectClaim != "sub" ||
		strings.Join(a.OIDC[0].Audience, ",") != "a,b" || a.OIDC[1].Name != "kc" {
		t.Fatalf("oidc %+v", a.OIDC)
	}
	if !a.AWSAuthorizer || a.TC3Service != "kafkafn" {
		t.Fatalf("%+v", a)
	}
	for name, value := range map[string]string{"AUTH_AWS_AUTHORIZER": "yes", "AUTH_TC3_SERVICE": "Bad Service"} {
		_, err := config.AuthFromEnv(func(k string) string { return map[string]string{name: value}[k] })
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
}

func FuzzAuthFromEnv(f *testing.F) {
	f.Add(`{"ci":{"sha256":"00"}}`, `[{"issuer":"https://x","audience":"a"}]`)
	f.Add(`{}`, `[]`)
	f.Fuzz(func(t *testing.T, keys, oidc string) {
		a, err := config.AuthFromEnv(func(k string) string {
			return map[string]string{"AUTH_API_KEYS": keys, "AUTH_OIDC": oidc}[k]
		})
		if err != nil {
			return
		}
		for id, sum := range a.APIKeys {
			if id == "" || len(sum) != sha256.Size {
				t.Fatalf("key %q: %x", id, sum)
			}
		}
		for _, is := range a.OIDC {
			if !strings.HasPrefix(strings.ToLower(is.Issuer), "https://") || len(is.Audience) == 0 || is.Name == "" || is.SubjectClaim == "" {
				t.Fatalf("issuer %+v", is)
			}
		}
	})
}
