package authenv

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/config/envread"
)

// EntraFromEnv reads the Entra ID bearer section. With AUTH_ENTRA_TENANT_ID unset, the
// section is disabled and setting any other AUTH_ENTRA_* variable is an error.
func EntraFromEnv(getenv func(string) string) (bearer.EntraConfig, error) {
	r := envread.New(getenv)
	e := bearer.EntraConfig{
		TenantID:      strings.ToLower(r.Str("AUTH_ENTRA_TENANT_ID", "")),
		Audiences:     r.List("AUTH_ENTRA_AUDIENCE"),
		AllowedGroups: envread.Lower(r.List("AUTH_ENTRA_ALLOWED_GROUPS")),
		AllowedRoles:  r.List("AUTH_ENTRA_ALLOWED_ROLES"),
		AuthorityHost: r.HTTPSOrigin("AUTH_ENTRA_AUTHORITY_HOST", bearer.DefaultAuthorityHost),
	}
	if e.TenantID == "" {
		for _, name := range []string{"AUTH_ENTRA_AUDIENCE", "AUTH_ENTRA_ALLOWED_GROUPS", "AUTH_ENTRA_ALLOWED_ROLES", "AUTH_ENTRA_AUTHORITY_HOST"} {
			if strings.TrimSpace(getenv(name)) != "" {
				r.Fail("AUTH_ENTRA_TENANT_ID", "is required when %s is set", name)
				break
			}
		}
		return e, r.Err()
	}
	if !envread.IsGUID(e.TenantID) {
		r.Fail("AUTH_ENTRA_TENANT_ID", "must be the directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, got %q", e.TenantID)
	}
	if len(e.Audiences) == 0 {
		r.Fail("AUTH_ENTRA_AUDIENCE", "is required with AUTH_ENTRA_TENANT_ID: kafkafn's own App ID URI (api://…) or client ID, comma separated")
	}
	for _, g := range e.AllowedGroups {
		if !envread.IsGUID(g) {
			r.Fail("AUTH_ENTRA_ALLOWED_GROUPS", "%q is not a group object ID (GUID)", g)
		}
	}
	return e, r.Err()
}
