package auth

// Config is the common authentication section that shared/auth/authconfig assembles the
// Guard from: the insecure dev switch and the schemes configured by a value or two, API
// keys (shared/auth/apikey), the AWS front door's caller (shared/auth/awsauth) and the
// service name of TC3 signatures (shared/auth/tc3). OIDC issuers, Entra ID, the TC3 keys and
// the policy have types of their own in the packages that verify them.
// shared/config/authenv fills it (AuthFromEnv).
type Config struct {
	// InsecureDev (AUTH_INSECURE_DEV=true; default false) opens every route without
	// credentials. It is refused unless the server listens only on loopback.
	InsecureDev bool
	// APIKeys (AUTH_API_KEYS; default none) maps each key id to the SHA-256 of its secret.
	APIKeys map[string][]byte
	// AWSAuthorizer (AUTH_AWS_AUTHORIZER=true; default false) trusts the caller identity that
	// API Gateway or a Lambda Function URL verified and put in the invocation event. Lambda
	// only.
	AWSAuthorizer bool
	// TC3Service (AUTH_TC3_SERVICE, default ckafka) is the service name TC3 signatures on
	// the kafkafn routes must carry in their credential scope.
	TC3Service string
}
