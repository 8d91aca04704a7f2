package entra

import (
	"time"
)

// DefaultAuthorityHost is the public-cloud Entra ID login host, Config.AuthorityHost's
// default.
const DefaultAuthorityHost = "https://login.microsoftonline.com"

// DefaultScope is the scope the token route hands out by default: HDInsight Kafka REST.
const DefaultScope = "https://hib.azurehdinsight.net/.default"

// Config configures the token route (functions/token): OAuth2 client-credentials tokens from
// Entra ID, obtained with MSAL on behalf of the calling client. shared/config/entraenv fills
// it from TOKEN_*; New applies the defaults below to zero fields where it uses them.
type Config struct {
	// AuthorityHost (TOKEN_AUTHORITY_HOST) is the https origin of the login host; default
	// DefaultAuthorityHost.
	AuthorityHost string
	// TenantID (TOKEN_TENANT_ID, required, no default) is the tenant GUID or a verified domain
	// name (contoso.onmicrosoft.com), lower-cased.
	TenantID string
	// AllowedScopes (TOKEN_ALLOWED_SCOPES, comma separated) are the only scopes handed out;
	// default DefaultScope. The first is used when a request names none.
	AllowedScopes []string
	// HTTPTimeout (TOKEN_HTTP_TIMEOUT, default 10s) bounds each call to the identity provider.
	HTTPTimeout time.Duration
	// Region (TOKEN_AZURE_REGION, default empty: the global endpoint) opts in to a regional
	// token service ("westeurope"). MSAL_FORCE_REGION is cancelled unless this is set.
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
