package saslcred

import (
	"sort"
	"strings"
)

// AWSCredentials locates the AWS credentials for AWS_MSK_IAM, as Lambda provides them
// (shared/config/kafkaenv checks the variables at start-up). The keys are read again for every
// new Kafka connection (Getenv), so a connection never signs with credentials older than the
// process's current ones (segmentio/kafka-go#975: a warm container outlives its first
// credentials).
type AWSCredentials struct {
	Region string // AWS_REGION, else AWS_DEFAULT_REGION; no default
	// ContainerURI is AWS_CONTAINER_CREDENTIALS_FULL_URI (Lambda SnapStart and container
	// runtimes), default none: credentials with an expiry, fetched with the Authorization
	// header from AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
	// Used when AWS_ACCESS_KEY_ID is not set (the AWS SDKs' order).
	ContainerURI string
	// Getenv reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and the
	// container authorization token per connection.
	Getenv func(string) string
}

// OAuth is the OAUTHBEARER token source: a client-credentials token endpoint, or the Azure
// Functions managed identity.
type OAuth struct {
	TokenURL     string   // KAFKA_OAUTH_TOKEN_URL, https; no default
	ClientID     string   // KAFKA_OAUTH_CLIENT_ID (with a managed identity: a user-assigned identity's client id), default none
	ClientSecret string   // KAFKA_OAUTH_CLIENT_SECRET, no default
	Scopes       []string // KAFKA_OAUTH_SCOPE, space separated; Event Hubs: https://<namespace>.servicebus.windows.net/.default
	// CAPEM (KAFKA_OAUTH_CA_FILE, default none) is trusted for the token endpoint besides the
	// system roots.
	CAPEM []byte
	// ManagedIdentity (KAFKA_OAUTH_MANAGED_IDENTITY, default false) takes tokens from
	// IdentityEndpoint (IDENTITY_ENDPOINT) with IDENTITY_HEADER, which Azure Functions sets;
	// the header is read per token (the platform rotates it) through Getenv.
	ManagedIdentity  bool
	IdentityEndpoint string
	Getenv           func(string) string
	// Extensions (KAFKA_OAUTH_EXTENSIONS, key=value,key=value; default none) are sent with the
	// token, e.g. Confluent Cloud's logicalCluster=lkc-...,identityPoolId=pool-....
	Extensions map[string]string
}

// Resource is the managed-identity resource for the scope: the scope without /.default.
func (o OAuth) Resource() string {
	if len(o.Scopes) == 0 {
		return ""
	}
	return strings.TrimSuffix(o.Scopes[0], "/.default")
}

// ExtensionKeys returns the extension keys sorted, the order they are sent in.
func (o OAuth) ExtensionKeys() []string {
	keys := make([]string, 0, len(o.Extensions))
	for k := range o.Extensions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
