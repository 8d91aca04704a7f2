// Package saslcred supplies the short-lived credentials behind kafkafn's Kafka SASL
// mechanisms: OAuth 2.0 access tokens for OAUTHBEARER (a client-credentials token endpoint, or
// the Azure Functions managed identity) and AWS credentials for AWS_MSK_IAM (the Lambda
// environment, or the container credentials endpoint). It does the HTTP so that package
// broker does not import net/http, and it does not import kafka-go.
//
// Design notes:
//   - Tokens are cached and renewed once half their lifetime has passed, by one fetch that
//     concurrent connections share (single-flight); a caller whose context ends stops
//     waiting without cancelling the shared fetch, which has its own time limit. Every token
//     handed out has at least half its lifetime left, so a Kafka session started with it is
//     not cut short. A failed renewal falls back to the cached token while it is still valid.
//   - Client credentials use golang.org/x/oauth2/clientcredentials (small, no dependencies).
//     The managed-identity endpoint is a single GET with a header, answered with a JSON
//     document whose expires_on is a string or a number: written here with net/http, because
//     the libraries that speak it (azidentity, MSAL) are far larger than the call and MSAL
//     must not be linked into the Kafka binaries.
//   - AWS credentials are read from the environment again for every connection, and the
//     container endpoint's credentials are cached until shortly before their expiry by the
//     SDK's aws.CredentialsCache. The SDK's own config and endpointcreds packages are not
//     used: they link the SSO, STS and IMDS clients or smithy's operation stack, megabytes
//     for what is here a JSON GET.
//   - Secrets (client secret, tokens, AWS keys, the identity and authorization headers)
//     never appear in errors or logs.
package saslcred
