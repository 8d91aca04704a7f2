// Package grants holds the consumer-group grant suite (issue 12.4): every native principal
// kind (key:, oidc: with its issuer-scoped oidc-group: and oidc-role:, tc3:, aws:, and the
// API Gateway authorizers' oidc: and authorizer:) granted or refused the group routes (a
// group's window with commit, a commit, the lag) by AUTH_POLICY, through the shipped Build
// of the routes, and 401 when the request carries no credentials or the event no caller
// context. The suite is all tests; run it with go test ./test/grants.
package grants
