// Package entraenv fills entra.Config, the token route's section (TOKEN_*), from the
// environment. It is apart from config so that config, which every binary links, never
// links MSAL (shared/auth/entra); only the token binary and the all-routes binary import it.
package entraenv

import (
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/auth/entra"
	"github.com/kafkafn/kafkafn/shared/config/envread"
)

// FromEnv reads the token route's section (TOKEN_*) into an entra.Config.
func FromEnv(getenv func(string) string) (entra.Config, error) {
	r := envread.New(getenv)
	t := entra.Config{
		AuthorityHost: r.HTTPSOrigin("TOKEN_AUTHORITY_HOST", entra.DefaultAuthorityHost),
		TenantID:      strings.ToLower(r.Str("TOKEN_TENANT_ID", "")),
		AllowedScopes: r.List("TOKEN_ALLOWED_SCOPES"),
		HTTPTimeout:   r.Duration("TOKEN_HTTP_TIMEOUT", 10*time.Second, 100*time.Millisecond, 2*time.Minute),
		Region:        r.Str("TOKEN_AZURE_REGION", ""),
		MaxClients:    int(r.Integer("TOKEN_MAX_CLIENTS", 500, 1, 100000)),
		FailureLimit:  int(r.Integer("TOKEN_FAILURE_LIMIT", 5, 1, 10000)),
		FailureWindow: r.Duration("TOKEN_FAILURE_WINDOW", time.Minute, time.Second, 24*time.Hour),
	}
	if len(t.AllowedScopes) == 0 {
		t.AllowedScopes = []string{entra.DefaultScope}
	}
	switch {
	case t.TenantID == "":
		r.Fail("TOKEN_TENANT_ID", "is required: the directory (tenant) ID or a verified domain such as contoso.onmicrosoft.com")
	case t.TenantID == "common" || t.TenantID == "organizations" || t.TenantID == "consumers":
		r.Fail("TOKEN_TENANT_ID", "must name one tenant, not %q", t.TenantID)
	case !envread.IsGUID(t.TenantID) && !envread.TenantName.MatchString(t.TenantID):
		r.Fail("TOKEN_TENANT_ID", "must be a tenant GUID or a domain name, got %q", t.TenantID)
	}
	for _, s := range t.AllowedScopes {
		if strings.ContainsAny(s, " \t\"\\") {
			r.Fail("TOKEN_ALLOWED_SCOPES", "%q must not contain spaces, quotes or backslashes", s)
		}
	}
	if t.Region != "" && !envread.Region.MatchString(t.Region) {
		r.Fail("TOKEN_AZURE_REGION", "must be a short region name such as westeurope, got %q", t.Region)
	}
	return t, r.Err()
}

// Configured reports whether the token route is configured (TOKEN_TENANT_ID is set), so
// the all-routes binary serves it only when asked to.
func Configured(getenv func(string) string) bool {
	return strings.TrimSpace(getenv("TOKEN_TENANT_ID")) != ""
}
