// Package token is the token function: POST /v1/token hands out OAuth2 client-credentials
// access tokens from Microsoft Entra ID, for clients that have no MSAL library of their own.
//
// The caller's own client credentials are the authentication: kafkafn relays the caller's
// client_id and client_secret to Entra ID (through MSAL Go) and Entra ID verifies them. The
// route holds no secret of its own, so it cannot vend tokens to anyone who could not get one
// from Entra ID directly. Only the configured scopes are handed out (TOKEN_ALLOWED_SCOPES,
// default https://hib.azurehdinsight.net/.default), and repeated credential failures for one
// client_id are throttled (429) so the route is no password-guessing oracle.
//
// Request (RFC 6749 §4.4), form-encoded or JSON; client credentials in the body or with HTTP
// Basic (client_secret_basic):
//
//	POST /v1/token
//	Content-Type: application/x-www-form-urlencoded
//
//	grant_type=client_credentials&client_id=<app id>&client_secret=<secret>&scope=<scope>
//
// Answers: 200 {"token_type":"Bearer","access_token":"…","expires_in":3599}, or an OAuth2
// error {"error":"invalid_request|invalid_client|invalid_scope|unsupported_grant_type|
// slow_down|temporarily_unavailable|server_error","error_description":"…"} with status 400,
// 401, 413, 415, 429, 502, 503 or 504. Every answer carries Cache-Control: no-store. Client
// secrets are never logged and never appear in errors.
package token
