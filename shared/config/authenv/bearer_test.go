package authenv_test

import (
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

func TestEntraFromEnv(t *testing.T) {
	t.Run("unset means disabled", func(t *testing.T) {
		e, err := authenv.EntraFromEnv(env(nil))
		if err != nil || e.Enabled() {
			t.Fatalf("%+v, %v", e, err)
		}
	})
	t.Run("a full configuration is read and normalised", func(t *testing.T) {
		e, err := authenv.EntraFromEnv(env(map[string]string{
			"AUTH_ENTRA_TENANT_ID":      strings.ToUpper(tenant),
			"AUTH_ENTRA_AUDIENCE":       "api://kafkafn, 6e8c7a52-0d5b-4d4e-9a0c-3f5b2f1d7c11",
			"AUTH_ENTRA_ALLOWED_GROUPS": "A1B2C3D4-0000-4000-8000-00000000BEEF",
			"AUTH_ENTRA_ALLOWED_ROLES":  "Kafka.Produce,Kafka.Consume",
			"AUTH_ENTRA_AUTHORITY_HOST": "https://login.microsoftonline.us/",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if !e.Enabled() || e.TenantID != tenant || len(e.Audiences) != 2 || e.AllowedGroups[0] != "a1b2c3d4-0000-4000-8000-00000000beef" ||
			len(e.AllowedRoles) != 2 || e.AuthorityHost != "https://login.microsoftonline.us" {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("the authority host defaults to the public cloud", func(t *testing.T) {
		e, err := authenv.EntraFromEnv(env(map[string]string{"AUTH_ENTRA_TENANT_ID": tenant, "AUTH_ENTRA_AUDIENCE": "api://kafkafn"}))
		if err != nil || e.AuthorityHost != "https://login.microsoftonline.com" {
			t.Fatalf("%+v, %v", e, err)
		}
	})
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		mention string
	}{
		{"an audience without a tenant is refused", map[string]string{"AUTH_ENTRA_AUDIENCE": "api://kafkafn"}, "AUTH_ENTRA_TENANT_ID"},
		{"a tenant without an audience is refused", map[string]string{"AUTH_ENTRA_TENANT_ID": tenant}, "AUTH_ENTRA_AUDIENCE"},
		{"a tenant domain instead of the GUID is refused", map[string]string{"AUTH_ENTRA_TENANT_ID": "contoso.onmicrosoft.com", "AUTH_ENTRA_AUDIENCE": "a"}, "AUTH_ENTRA_TENANT_ID"},
		{"a group name instead of an object ID is refused", map[string]string{"AUTH_ENTRA_TENANT_ID": tenant, "AUTH_ENTRA_AUDIENCE": "a", "AUTH_ENTRA_ALLOWED_GROUPS": "kafka-users"}, "AUTH_ENTRA_ALLOWED_GROUPS"},
		{"an http authority host is refused", map[string]string{"AUTH_ENTRA_TENANT_ID": tenant, "AUTH_ENTRA_AUDIENCE": "a", "AUTH_ENTRA_AUTHORITY_HOST": "http://login.microsoftonline.com"}, "AUTH_ENTRA_AUTHORITY_HOST"},
		{"an authority host with a path is refused", map[string]string{"AUTH_ENTRA_TENANT_ID": tenant, "AUTH_ENTRA_AUDIENCE": "a", "AUTH_ENTRA_AUTHORITY_HOST": "https://login.microsoftonline.com/" + tenant}, "AUTH_ENTRA_AUTHORITY_HOST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := authenv.EntraFromEnv(env(tc.vars))
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %v, want one naming %s", err, tc.mention)
			}
		})
	}
}
