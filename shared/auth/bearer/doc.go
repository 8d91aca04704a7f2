// Package bearer authenticates requests that carry a Microsoft Entra ID access token
// (Authorization: Bearer <jwt>), the HDInsight Kafka REST model: an app-only
// client-credentials token for kafkafn's own app registration, authorised by app role or
// security group.
//
// A token is accepted when it is an RS256 JWT signed by a key of the configured tenant's key
// set (picked by kid), its issuer is the tenant's v1 (https://sts.windows.net/<tid>/, ver 1.0)
// or v2 (<authority host>/<tid>/v2.0, ver 2.0) issuer, its aud is a configured audience, its
// tid is the tenant, and exp (required) and nbf hold with a 2-minute leeway. It is then
// authorised when no allow-list is configured, or it carries an allowed app role or group.
//
// Answers: no Authorization header (or another scheme) → auth.ErrNoCredentials; a malformed
// header or a token over 16 KiB → 401 with WWW-Authenticate: Bearer error="invalid_request";
// any failed check → 401 with Bearer error="invalid_token"; a valid token without an allowed
// role or group → 403 (a groups-overage token says so). Bodies never tell which check failed
// and never echo the token; the reason is logged at debug level.
//
// Building an Authenticator makes no network calls: the tenant's key sets are fetched on the
// first request, under its context (see keyStore).
package bearer
