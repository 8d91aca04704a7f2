package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/awsauth"
)

// The principal kinds of the native identities (issue 12):
//
//	key:<id>                       an API key (AUTH_API_KEYS)
//	oidc:<issuer name>#<subject>   an OIDC caller (AUTH_OIDC, or an HTTP API JWT authorizer);
//	                               oidc:<issuer name>#* is any caller of that issuer
//	oidc-group:<issuer name>#<g>   a member of group g according to that issuer only
//	oidc-role:<issuer name>#<r>    a holder of role r according to that issuer only
//	aws:<ARN>                      an IAM caller verified by API Gateway or a Function URL:
//	                               a role ARN matches its sessions (account and role name; the
//	                               path is ignored), other ARNs match exactly
//	aws:<12-digit account>         any IAM caller of that account
//	authorizer:<principalId>       a Lambda authorizer's principalId
//
// Groups and roles are scoped to their issuer so that two issuers cannot lend each other
// rights: a group "admins" in a Cognito pool is not the group "admins" of a Keycloak realm.
func parseIdentityPrincipal(s, kind, value string) (matcher, bool, error) {
	switch kind {
	case "key", "authorizer":
		return matcher{kind: kind, value: value}, true, nil
	case "oidc", "oidc-group", "oidc-role":
		iss, sub, ok := strings.Cut(value, "#")
		if !ok || iss == "" || sub == "" {
			return matcher{}, true, fmt.Errorf("%q must be %s:<issuer name>#<value>", s, kind)
		}
		return matcher{kind: kind, value: sub, issuer: iss}, true, nil
	case "aws":
		if awsauth.IsAccount(value) {
			return matcher{kind: kind, value: value}, true, nil
		}
		a, ok := awsauth.ParseARN(value)
		if !ok {
			return matcher{}, true, fmt.Errorf("%q: want aws:<principal ARN> or aws:<12-digit account id>", s)
		}
		return matcher{kind: kind, value: a.String()}, true, nil
	}
	return matcher{}, false, nil
}

func (m matcher) matchesIdentity(pr *auth.Principal) bool {
	switch m.kind {
	case "key", "authorizer":
		return pr.Scheme == m.kind && pr.ID == m.value
	case "oidc":
		if pr.Scheme != "oidc" {
			return false
		}
		if m.value == "*" {
			return pr.Issuer == m.issuer
		}
		return pr.ID == m.issuer+"#"+m.value
	case "oidc-group":
		return pr.Scheme == "oidc" && pr.Issuer == m.issuer && slices.Contains(pr.Groups, m.value)
	case "oidc-role":
		return pr.Scheme == "oidc" && pr.Issuer == m.issuer && slices.Contains(pr.Roles, m.value)
	case "aws":
		if pr.Scheme != "aws" {
			return false
		}
		c, ok := awsauth.ParseARN(pr.ID)
		if !ok {
			return false
		}
		if awsauth.IsAccount(m.value) {
			return c.Account == m.value
		}
		want, _ := awsauth.ParseARN(m.value)
		return want.Matches(c)
	}
	return false
}
