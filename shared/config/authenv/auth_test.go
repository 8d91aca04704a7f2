package authenv_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

func TestAuthFromEnv(t *testing.T) {
	sum := sha256.Sum256([]byte("a-secret-of-at-least-16-bytes"))
	env := map[string]string{
		"AUTH_API_KEYS":       `{"ci":{"sha256":"` + hex.EncodeToString(sum[:]) + `"},"vault":{"secretEnv":"VAULT_KEY"}}`,
		"VAULT_KEY":           "a-secret-of-at-least-16-bytes",
		"AUTH_AWS_AUTHORIZER": "true",
		"AUTH_TC3_SERVICE":    "kafkafn",
	}
	a, err := authenv.AuthFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(a.APIKeys) != 2 || hex.EncodeToString(a.APIKeys["vault"]) != hex.EncodeToString(sum[:]) {
		t.Fatalf("keys %x", a.APIKeys)
	}
	if !a.AWSAuthorizer || a.TC3Service != "kafkafn" {
		t.Fatalf("%+v", a)
	}
	for name, value := range map[string]string{"AUTH_AWS_AUTHORIZER": "yes", "AUTH_TC3_SERVICE": "Bad Service"} {
		_, err := authenv.AuthFromEnv(func(k string) string { return map[string]string{name: value}[k] })
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
}

func FuzzAuthFromEnv(f *testing.F) {
	f.Add(`{"ci":{"sha256":"00"}}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, keys string) {
		a, err := authenv.AuthFromEnv(func(k string) string {
			return map[string]string{"AUTH_API_KEYS": keys}[k]
		})
		if err != nil {
			return
		}
		for id, sum := range a.APIKeys {
			if id == "" || len(sum) != sha256.Size {
				t.Fatalf("key %q: %x", id, sum)
			}
		}
	})
}
