// Package deploy is the single description of how kafkafn is deployed: which functions
// exist, which binary and routes each one serves, and which configuration it takes. The
// deploy descriptors at the repository root (template.yaml for AWS SAM, serverless.yml and
// scf/pull/serverless.yml for Tencent's Serverless Cloud Framework, azure/ for Azure
// Functions) are rendered from it by
//
//	go run ./scripts/gendeploy
//
// and the tests in this package fail when a descriptor drifts from the route tables.
package deploy

import (
	"strings"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/functions/listtopics"
	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/functions/token"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// Function is one deployed function: one route binary.
type Function struct {
	LogicalID string         // the SAM resource name; the Makefile has build-<LogicalID>
	Name      string         // the function and artefact name (produce, consume-window, …)
	Package   string         // the main package, relative to the module root
	Routes    []httpio.Route // the binary's public surface
	Timer     bool           // the binary has a timer entry point (scheduled pulls)
	InAll     bool           // the all-routes binary (the Azure app) serves these routes too
	Params    []string       // the configuration variables it takes (see Params)
	// MSKActions are the kafka-cluster IAM actions the function needs on the cluster, its
	// topics and its groups when it reaches MSK with AWS_MSK_IAM (docs/kafka-services.md).
	MSKActions []string
}

// kafka, auth, … are the variable groups the functions share.
var (
	kafkaVars = []string{"KAFKA_BROKERS", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_TLS", "KAFKA_TLS_CA_PEM", "KAFKA_TLS_SKIP_HOSTNAME_CHECK",
		"KAFKA_OAUTH_TOKEN_URL", "KAFKA_OAUTH_CLIENT_ID", "KAFKA_OAUTH_CLIENT_SECRET", "KAFKA_OAUTH_SCOPE", "KAFKA_OAUTH_MANAGED_IDENTITY", "KAFKA_OAUTH_EXTENSIONS"}
	authVars = []string{"AUTH_ENTRA_TENANT_ID", "AUTH_ENTRA_AUDIENCE", "AUTH_ENTRA_ALLOWED_GROUPS", "AUTH_ENTRA_ALLOWED_ROLES", "AUTH_TC3_CREDENTIALS", "AUTH_POLICY",
		"AUTH_API_KEYS", "AUTH_OIDC", AWSIAMParam}
	pullVars = []string{"PULL_TOPIC", "PULL_GROUP", "PULL_SINK", "PULL_SINK_URL", "PULL_SINK_SECRET"}
)

func concat(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Functions lists every deployed route binary. The Azure function app serves the routes of
// the functions marked InAll from one binary (AllPackage); it serves the token route only when
// TOKEN_TENANT_ID is set.
var Functions = []Function{
	{LogicalID: "ProduceFunction", InAll: true, Name: "produce", Package: "functions/produce/cmd/produce", Routes: produce.Routes,
		MSKActions: []string{"Connect", "DescribeCluster", "DescribeTopic", "WriteData"},
		Params:     concat(kafkaVars, authVars, []string{"AUTH_TC3_PUBLIC_HOSTS", "WEBHOOK_SECRETS", "GITHUB_WEBHOOK_SECRET", "CKAFKA_DATAHUBS"})},
	{LogicalID: "ConsumeWindowFunction", InAll: true, Name: "consume-window", Package: "functions/consumewindow/cmd/consume-window", Routes: consumewindow.Routes, Timer: true,
		MSKActions: []string{"Connect", "DescribeCluster", "DescribeTopic", "ReadData", "DescribeGroup", "AlterGroup"},
		Params:     concat(kafkaVars, authVars, []string{"CONSUME_TOKEN_SECRET"}, pullVars)},
	{LogicalID: "ListTopicsFunction", InAll: true, Name: "list-topics", Package: "functions/listtopics/cmd/list-topics", Routes: listtopics.Routes,
		MSKActions: []string{"Connect", "DescribeCluster", "DescribeTopic", "ReadData", "CreateTopic", "DeleteTopic"},
		Params:     concat(kafkaVars, authVars)},
	{LogicalID: "TokenFunction", InAll: true, Name: "token", Package: "functions/token/cmd/token", Routes: token.Routes,
		Params: []string{"TOKEN_TENANT_ID", "TOKEN_ALLOWED_SCOPES"}},
}

// AllPackage is the all-routes binary: the Azure function app's handler.
const AllPackage = "functions/all"

// Param is one configuration variable exposed by the descriptors.
type Param struct {
	Env         string // the variable (shared/config reads it)
	Default     string
	NoEcho      bool // a secret: NoEcho in SAM, never logged
	Description string
	Allowed     []string // the only values SAM accepts (optional)
}

// AWSIAMParam turns on IAM (SigV4) auth in template.yaml: AWS_IAM on the HTTP API's routes
// (but the sender-signed ones, see SenderSigned), an AWS_IAM Function URL for every function
// that takes it, and those functions trust the caller identity the URL or API Gateway verified.
const AWSIAMParam = "AUTH_AWS_AUTHORIZER"

// Params describes every variable a Function lists.
var Params = []Param{
	{Env: "KAFKA_BROKERS", Description: "Kafka bootstrap brokers, host:port, comma separated"},
	{Env: "KAFKA_SASL_MECHANISM", Description: "empty, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM (MSK; set MskClusterArn too) or OAUTHBEARER"},
	{Env: "KAFKA_SASL_USERNAME", Description: "SASL user name (CKafka: instanceId#username)"},
	{Env: "KAFKA_SASL_PASSWORD", NoEcho: true, Description: "SASL password"},
	{Env: "KAFKA_TLS", Default: "false", Description: "true to connect to Kafka over TLS"},
	{Env: "KAFKA_TLS_CA_PEM", NoEcho: true, Description: "CA bundle (PEM, \\n for newlines) when the brokers' CA is private"},
	{Env: "KAFKA_TLS_SKIP_HOSTNAME_CHECK", Default: "false", Description: "true to skip only the host-name check (CKafka custom certificates); the chain is still verified"},
	{Env: "KAFKA_OAUTH_TOKEN_URL", Description: "OAUTHBEARER: client-credentials token endpoint (https)"},
	{Env: "KAFKA_OAUTH_CLIENT_ID", Description: "OAUTHBEARER: client id (or the user-assigned managed identity)"},
	{Env: "KAFKA_OAUTH_CLIENT_SECRET", NoEcho: true, Description: "OAUTHBEARER: client secret"},
	{Env: "KAFKA_OAUTH_SCOPE", Description: "OAUTHBEARER: scope (Event Hubs: https://<namespace>.servicebus.windows.net/.default)"},
	{Env: "KAFKA_OAUTH_MANAGED_IDENTITY", Default: "false", Description: "OAUTHBEARER: true for tokens from the function's managed identity (Azure)"},
	{Env: "KAFKA_OAUTH_EXTENSIONS", Description: "OAUTHBEARER: SASL extensions key=value,... (Confluent Cloud logicalCluster=lkc-...)"},
	{Env: "AUTH_TC3_PUBLIC_HOSTS", Description: "host names TC3 signatures may be made for, when a gateway rewrites Host (optional)"},
	{Env: "AUTH_ENTRA_TENANT_ID", Description: "Entra ID tenant whose access tokens are accepted"},
	{Env: "AUTH_ENTRA_AUDIENCE", Description: "accepted token audiences (kafkafn's App ID URI or client ID), comma separated"},
	{Env: "AUTH_ENTRA_ALLOWED_GROUPS", Description: "group object IDs a caller must belong to (optional)"},
	{Env: "AUTH_ENTRA_ALLOWED_ROLES", Description: "app roles a caller must hold (optional)"},
	{Env: "AUTH_TC3_CREDENTIALS", NoEcho: true, Description: "TC3-HMAC-SHA256 SecretId:SecretKey pairs (optional)"},
	{Env: "AUTH_POLICY", Description: "per-principal topic permissions (optional)"},
	{Env: "AUTH_API_KEYS", Description: "API keys for HTTP Basic: JSON {id: {sha256: hex}} (optional; go run ./scripts/gen-api-key)"},
	{Env: "AUTH_OIDC", Description: "OpenID Connect issuers whose access tokens are accepted: JSON list (optional)"},
	{Env: AWSIAMParam, Default: "false", Allowed: []string{"false", "true"},
		Description: "true: AWS_IAM (SigV4) on the HTTP API routes (not webhooks or SendMessage) and an AWS_IAM Function URL per function, and trust the IAM, JWT or Lambda authorizer identity API Gateway or the URL put in the event"},
	{Env: "WEBHOOK_SECRETS", NoEcho: true, Description: "webhook signing secrets (optional)"},
	{Env: "GITHUB_WEBHOOK_SECRET", NoEcho: true, Description: "GitHub webhook secret (optional)"},
	{Env: "CKAFKA_DATAHUBS", Description: "CKafka DataHub id to topic mapping for SendMessage (optional)"},
	{Env: "CONSUME_TOKEN_SECRET", NoEcho: true, Description: "HMAC key for consumer-group commit tokens, at least 16 bytes (optional)"},
	{Env: "PULL_TOPIC", Description: "topic of scheduled pulls (optional)"},
	{Env: "PULL_GROUP", Description: "consumer group of scheduled pulls (optional)"},
	{Env: "PULL_SINK", Description: "where scheduled pulls deliver: empty (off), http or log"},
	{Env: "PULL_SINK_URL", Description: "HTTPS endpoint for PULL_SINK=http"},
	{Env: "PULL_SINK_SECRET", NoEcho: true, Description: "signing secret for PULL_SINK=http"},
	{Env: "TOKEN_TENANT_ID", Description: "Entra ID tenant the token route requests tokens from"},
	{Env: "TOKEN_ALLOWED_SCOPES", Description: "scopes callers may ask the token route for, comma separated"},
}

// ParamFor returns the Param of a variable.
func ParamFor(env string) (Param, bool) {
	for _, p := range Params {
		if p.Env == env {
			return p, true
		}
	}
	return Param{}, false
}

// ParamName is the CloudFormation parameter name of a variable: KAFKA_SASL_PASSWORD →
// KafkaSaslPassword.
func ParamName(env string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.ToLower(env), "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// APIPath converts a ServeMux path to the API Gateway syntax: {name} stays, a trailing
// {name...} wildcard becomes {name+} ({proxy+} style), and the exact-match marker {$} goes
// (API Gateway paths are exact already: "/{$}" is "/").
func APIPath(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	if i := strings.LastIndex(p, "...}"); i >= 0 && i == len(p)-4 {
		return p[:i] + "+}"
	}
	return p
}

// AzureRoute converts a ServeMux path to an Azure Functions route (no leading slash;
// wildcards as {*name}). The root path "/" becomes the catch-all "{*path}": Azure reads an
// empty route as the function's name, and a catch-all ranks below every literal route, so
// it receives "/" plus requests that match no other function, which kafkafn's own mux then
// answers (404/405 as JSON) since forwarded requests keep their original path. The exact
// root "/{$}" (GET /) becomes the same catch-all for its method.
func AzureRoute(p string) string {
	if p == "/" || p == "/{$}" {
		return "{*path}"
	}
	p = strings.TrimPrefix(p, "/")
	if i := strings.LastIndex(p, "{"); i >= 0 && strings.HasSuffix(p, "...}") {
		p = p[:i] + "{*" + p[i+1:len(p)-4] + "}"
	}
	return p
}

// TimerFunctionName is the Azure timer function of a Function with a timer: it starts with
// "Timer", which is how the Azure adapter recognises payload-mode invocations.
func TimerFunctionName(f Function) string {
	var b strings.Builder
	b.WriteString("Timer")
	for _, part := range strings.Split(f.Name, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
