// Package config reads kafkafn's configuration from the environment, once, at start-up.
//
// Every variable kafkafn understands is read here or in a subpackage of shared/config and
// nowhere else (platform-owned variables such as AWS_LAMBDA_RUNTIME_API are read only by
// shared/platform). Each section has its own FromEnv function, so a binary loads and
// validates only the sections it uses; an invalid value is an error that names the variable.
//
// The packages that use a setting own its type and name each field's variable and default
// next to it; this tree only maps variables onto them:
//
//	config        httpio.Limits, httpio.Ops (LimitsFromEnv, OpsFromEnv, LoadOps)
//	kafkaenv      broker.Config (KAFKA_*, with saslcred's AWS and OAuth parts)
//	authenv       auth.Config (AUTH_INSECURE_DEV, AUTH_API_KEYS, AUTH_AWS_AUTHORIZER,
//	              AUTH_TC3_SERVICE), bearer.EntraConfig, bearer.OIDCIssuer, tc3.Config,
//	              policy.Config (AUTH_*)
//	entraenv      entra.Config (TOKEN_*): the token binary and functions/all only
//	webhookenv    webhook.Config (WEBHOOK_SECRETS): produce and functions/all only
//	datahubenv    datahub.Config (CKAFKA_DATAHUBS): produce and functions/all only
//	groupsenv     groups.Config (CONSUME_GROUP_RESET, CONSUME_TOKEN_*): consume-window and
//	              functions/all only
//	pushenv       push.Config (PULL_*): consume-window and functions/all only
//	embeddedenv   embedded.Config (EMBEDDED_KAFKA_DIR): functions/all only (its owner links kfake)
//	envread       the typed Reader and the name checks all of them share
//
// config owns no section type of its own. The subpackages exist so that each binary links
// only the owners it uses: config itself, linked by every binary, imports neither kafka-go
// nor kfake nor MSAL nor any verifier. Arrows point one way: shared/config may import the
// owning packages, never the reverse.
package config

// Getenv reads one variable; os.Getenv fits.
type Getenv func(string) string
