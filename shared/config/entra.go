package config

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
)

// DefaultEntraAuthorityHost is the public-cloud Entra ID login host.
const DefaultEntraAuthorityHost = "https://login.microsoftonline.com"

// DefaultTokenScope is the scope the token route hands out by default: HDInsight Kafka REST.
const DefaultTokenScope = "https://hib.azurehdinsight.net/.default"

// Entra configures validation of incoming Entra ID bearer tokens (shared/auth/bearer).
// Bearer auth is enabled when TenantID is set.
type Entra struct {
	// TenantID (AUTH_ENTRA_TENANT_ID) is the directory (tenant) ID, a GUID, lower-cased.
	TenantID string
	// Audiences (AUTH_ENTRA_AUDIENCE, comma separated) are the accepted aud values: kafkafn's
	// own App ID URI and/or client ID. Required when TenantID is set.
	Audiences []string
	// AllowedGroups (AUTH_ENTRA_ALLOWED_GROUPS) are group object IDs; AllowedRoles
	// (AUTH_ENTRA_ALLOWED_ROLES) are app role values. When either is set, a token must carry
	// a listed role or group; when both are empty every valid token of the tenant passes.
	AllowedGroups []string
	AllowedRoles  []string
	// AuthorityHost (AUTH_ENTRA_AUTHORITY_HOST) is the https origin of the login host, without
	// a trailing slash; default https://login.microsoftonline.com. The v2 issuer and the key
	// sets are derived from it.
	AuthorityHost string
}

// Enabled reports whether Entra bearer auth is configured.
func (e Entra) Enabled() bool { return e.TenantID != "" }

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 hex form (any case).
func IsGUID(s string) bool { return envread.IsGUID(s) }

// EntraFromEnv reads the Entra ID bearer section. With AUTH_ENTRA_TENANT_ID unset, the
// section is disabled and setting any other AUTH_ENTRA_* variable is an error.
func EntraFromEnv(getenv Getenv) (Entra, error) {
	r := envread.New(getenv)
	e := Entra{
		TenantID:      strings.ToLower(r.Str("AUTH_ENTRA_TENANT_ID", "")),
		Audiences:     r.List("AUTH_ENTRA_AUDIENCE"),
		AllowedGroups: envread.Lower(r.List("AUTH_ENTRA_ALLOWED_GROUPS")),
		AllowedRoles:  r.List("AUTH_ENTRA_ALLOWED_ROLES"),
		AuthorityHost: r.HTTPSOrigin("AUTH_ENTRA_AUTHORITY_HOST", DefaultEntraAuthorityHost),
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
	if !IsGUID(e.TenantID) {
		r.Fail("AUTH_ENTRA_TENANT_ID", "must be the directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, got %q", e.TenantID)
	}
	if len(e.Audiences) == 0 {
		r.Fail("AUTH_ENTRA_AUDIENCE", "is required with AUTH_ENTRA_TENANT_ID: kafkafn's own App ID URI (api://…) or client ID, comma separated")
	}
	for _, g := range e.AllowedGroups {
		if !IsGUID(g) {
			r.Fail("AUTH_ENTRA_ALLOWED_GROUPS", "%q is not a group object ID (GUID)", g)
		}
	}
	return e, r.Err()
}
