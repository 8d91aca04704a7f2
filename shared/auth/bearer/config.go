package bearer

// DefaultAuthorityHost is the public-cloud Entra ID login host, EntraConfig.AuthorityHost's
// default.
const DefaultAuthorityHost = "https://login.microsoftonline.com"

// EntraConfig configures validation of incoming Entra ID bearer tokens (New).
// shared/config/authenv fills it from AUTH_ENTRA_*. Bearer auth is enabled when TenantID is
// set; the zero value means disabled.
type EntraConfig struct {
	// TenantID (AUTH_ENTRA_TENANT_ID, default none: disabled) is the directory (tenant) ID, a
	// GUID, lower-cased.
	TenantID string
	// Audiences (AUTH_ENTRA_AUDIENCE, comma separated, no default) are the accepted aud
	// values: kafkafn's own App ID URI and/or client ID. Required when TenantID is set.
	Audiences []string
	// AllowedGroups (AUTH_ENTRA_ALLOWED_GROUPS) are group object IDs; AllowedRoles
	// (AUTH_ENTRA_ALLOWED_ROLES) are app role values; both default empty. When either is set,
	// a token must carry a listed role or group; when both are empty every valid token of the
	// tenant passes.
	AllowedGroups []string
	AllowedRoles  []string
	// AuthorityHost (AUTH_ENTRA_AUTHORITY_HOST) is the https origin of the login host, without
	// a trailing slash; default DefaultAuthorityHost. The v2 issuer and the key sets are
	// derived from it.
	AuthorityHost string
}

// Enabled reports whether Entra bearer auth is configured.
func (e EntraConfig) Enabled() bool { return e.TenantID != "" }

// OIDCIssuer is one AUTH_OIDC entry: an OpenID Connect issuer whose access tokens NewOIDC
// accepts. shared/config/authenv reads the list.
type OIDCIssuer struct {
	Issuer string `json:"issuer"` // https, no query or fragment; required
	// Audience lists the accepted audiences (required, no default): a token's aud must hold
	// one, or, when it has no aud (Cognito access tokens), its client_id must be one, as API
	// Gateway's JWT authorizers check.
	Audience []string
	// JWKSURI is where the keys are; default empty: discovered from
	// <issuer>/.well-known/openid-configuration.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// SubjectClaim names the claim that identifies the caller (default sub). Dotted paths
	// reach into objects (realm_access.roles). GroupsClaim and RolesClaim name the groups and
	// roles claims; default none.
	SubjectClaim string `json:"subject_claim,omitempty"`
	GroupsClaim  string `json:"groups_claim,omitempty"`
	RolesClaim   string `json:"roles_claim,omitempty"`
	// Name is the issuer's short name in principals (oidc:<name>#<subject>); default the
	// issuer URL.
	Name string `json:"name,omitempty"`
}
