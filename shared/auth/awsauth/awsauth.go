// Package awsauth authenticates callers that an AWS front door already verified: API Gateway
// (HTTP API and REST API) and Lambda Function URLs put the caller's identity in the
// invocation event, which shared/platform/awslambda copies into platform.Invocation.Caller.
// This package reads it from the request context, never from a header a caller could send.
//
// Principals:
//
//	IAM (SigV4, AuthType AWS_IAM)   aws:<ARN>; an assumed-role session
//	                                arn:aws:sts::ACCT:assumed-role/ROLE/SESSION is normalised to
//	                                arn:aws:iam::ACCT:role/ROLE (the session ARN has no role
//	                                path, so policies match roles by account and name)
//	JWT authorizer (HTTP API)       oidc:<issuer name>#<sub>, as if kafkafn had validated the
//	Cognito authorizer (REST API)   token itself: the issuer's AUTH_OIDC entry (matched by iss)
//	                                gives its name, claim names and accepted audiences (aud,
//	                                or client_id); array claims, which the gateway flattens
//	                                to "[a b c]", are parsed back
//	Lambda authorizer               authorizer:<principalId>
//
// The mode (AUTH_AWS_AUTHORIZER=true) is for AWS Lambda only: anywhere else nothing vouches
// for the context, and shared/auth/authconfig refuses to start.
package awsauth

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Principal schemes.
const (
	SchemeIAM        = "aws"
	SchemeAuthorizer = "authorizer"
)

// Authenticator reads the front door's verified caller. It implements auth.Authenticator
// and is safe for concurrent use.
type Authenticator struct {
	issuers map[string]auth.ClaimSet // by iss
}

var _ auth.Authenticator = (*Authenticator)(nil)

// New returns an Authenticator. issuers maps an iss value to its claim names and principal
// name (from AUTH_OIDC); a JWT from any other issuer (the gateway validated it) is named by
// its iss, with no groups or roles.
func New(issuers map[string]auth.ClaimSet) *Authenticator {
	return &Authenticator{issuers: issuers}
}

func invalid(msg string) error { return apierr.E(apierr.Unauthorized, "invalid_caller_context", msg) }

// Authenticate implements auth.Authenticator. A request whose event carries no authorizer
// context gets auth.ErrNoCredentials (so other schemes may try, and the Guard answers 401).
func (a *Authenticator) Authenticate(r *http.Request) (*auth.Principal, error) {
	inv, ok := platform.FromContext(r.Context())
	if !ok || inv.Caller == nil {
		return nil, auth.ErrNoCredentials
	}
	c := inv.Caller
	switch {
	case c.IAM != nil:
		arn, ok := ParseARN(c.IAM.UserARN)
		if !ok {
			return nil, invalid("the IAM caller's ARN is not a principal ARN")
		}
		return &auth.Principal{Scheme: SchemeIAM, ID: arn.String(), Name: c.IAM.UserARN}, nil
	case c.JWT != nil:
		claims := make(map[string]any, len(c.JWT.Claims))
		for k, v := range c.JWT.Claims {
			claims[k] = v
		}
		iss := c.JWT.Claims["iss"]
		if iss == "" {
			return nil, invalid("the authorizer's claims have no iss")
		}
		cs, ok := a.issuers[iss]
		if !ok {
			cs = auth.ClaimSet{Issuer: iss}
		}
		// A configured issuer's principals carry its AUTH_OIDC grants, so its audience rule
		// holds here too: the gateway's authorizer may accept audiences kafkafn does not.
		if len(cs.Audience) > 0 && !audienceOK(c.JWT.Claims, cs.Audience) {
			return nil, invalid("the token's audience is not one AUTH_OIDC accepts for its issuer")
		}
		p, err := cs.OIDCPrincipal(claims)
		if err != nil {
			return nil, invalid("the authorizer's claims have no subject")
		}
		return p, nil
	case c.Authorizer != nil:
		if c.Authorizer.PrincipalID == "" {
			return nil, invalid("the Lambda authorizer returned no principalId (return it in the context)")
		}
		return &auth.Principal{Scheme: SchemeAuthorizer, ID: c.Authorizer.PrincipalID, Name: c.Authorizer.PrincipalID}, nil
	}
	return nil, auth.ErrNoCredentials
}

// audienceOK reports whether the token's aud (one value, or the gateway's flattened
// "[a b c]") or, when it has none, its client_id is one of want.
func audienceOK(claims map[string]string, want []string) bool {
	aud, ok := claims["aud"]
	if !ok || aud == "" {
		aud = claims["client_id"]
	}
	if strings.HasPrefix(aud, "[") && strings.HasSuffix(aud, "]") {
		for _, a := range strings.Fields(aud[1 : len(aud)-1]) {
			if slices.Contains(want, a) {
				return true
			}
		}
		return false
	}
	return aud != "" && slices.Contains(want, aud)
}

// Challenge implements auth.Authenticator: the front door has its own (a SigV4 signature or
// a token is missing), so kafkafn adds none.
func (a *Authenticator) Challenge(error) string { return "" }

// ErrUntrusted is returned by Check when the platform cannot vouch for the context.
var ErrUntrusted = errors.New("AUTH_AWS_AUTHORIZER: refused: the caller context is trusted only on AWS Lambda, where API Gateway or a Function URL writes it into the event")

// Check refuses the mode on a platform other than AWS Lambda.
func Check(platformName string) error {
	if platformName != "aws" {
		return ErrUntrusted
	}
	return nil
}
