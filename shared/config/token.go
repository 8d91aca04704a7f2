package config

import (
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
)

// Token configures the token route (functions/token): OAuth2 client-credentials tokens from
// Entra ID, obtained with MSAL on behalf of the calling client.
type Token struct {
	// AuthorityHost (TOKEN_AUTHORITY_HOST) is the https origin of the login host; default
	// https://login.microsoftonline.com.
	AuthorityHost string
	// TenantID (TOKEN_TENANT_ID, required) is the tenant GUID or a verified domain name
	// (contoso.onmicrosoft.com), lower-cased.
	TenantID string
	// AllowedScopes (TOKEN_ALLOWED_SCOPES, comma separated) are the only scopes handed out;
	// default https://hib.azurehdinsight.net/.default. The first is used when a request
	// names none.
	AllowedScopes []string
	// HTTPTimeout (TOKEN_HTTP_TIMEOUT, default 10s) bounds each call to the identity provider.
	HTTPTimeout time.Duration
	// Region (TOKEN_AZURE_REGION) opts in to a regional token service ("westeurope"); empty
	// means the global endpoint. MSAL_FORCE_REGION is cancelled unless this is set.
	Region string
	// MaxClients (TOKEN_MAX_CLIENTS, default 500) bounds the cache of MSAL clients, one per
	// distinct client identity.
	MaxClients int
	// FailureLimit (TOKEN_FAILURE_LIMIT, default 5) credential failures per client ID within
	// FailureWindow (TOKEN_FAILURE_WINDOW, default 1m) make further attempts for that client
	// ID answer 429 until the window ends.
	FailureLimit  int
	FailureWindow time.Duration
}

// TokenFromEnv reads the token route's section.
func TokenFromEnv(getenv Getenv) (Token, error) {
	r := envread.New(getenv)
	t := Token{
		AuthorityHost: r.HTTPSOrigin("TOKEN_AUTHORITY_HOST", DefaultEntraAuthorityHost),
		TenantID:      strings.ToLower(r.Str("TOKEN_TENANT_ID", "")),
		AllowedScopes: r.List("TOKEN_ALLOWED_SCOPES"),
		HTTPTimeout:   r.Duration("TOKEN_HTTP_TIMEOUT", 10*time.Second, 100*time.Millisecond, 2*time.Minute),
		Region:        r.Str("TOKEN_AZURE_REGION", ""),
		MaxClients:    int(r.Integer("TOKEN_MAX_CLIENTS", 500, 1, 100000)),
		FailureLimit:  int(r.Integer("TOKEN_FAILURE_LIMIT", 5, 1, 10000)),
		FailureWindow: r.Duration("TOKEN_FAILURE_WINDOW", time.Minute, time.Second, 24*time.Hour),
	}
	if len(t.AllowedScopes) == 0 {
		t.AllowedScopes = []string{DefaultTokenScope}
	}
	switch {
	case t.TenantID == "":
		r.Fail("TOKEN_TENANT_ID", "is required: the directory (tenant) ID or a verified domain such as contoso.onmicrosoft.com")
	case t.TenantID == "common" || t.TenantID == "organizations" || t.TenantID == "consumers":
		r.Fail("TOKEN_TENANT_ID", "must name one tenant, not %q", t.TenantID)
	case !IsGUID(t.TenantID) && !envread.TenantName.MatchString(t.TenantID):
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

// TokenConfigured reports whether the token route is configured (TOKEN_TENANT_ID is set), so
// the all-routes binary serves it only when asked to.
func TokenConfigured(getenv Getenv) bool { return strings.TrimSpace(getenv("TOKEN_TENANT_ID")) != "" }
