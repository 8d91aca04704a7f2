package auth

import (
	"fmt"
	"strings"
)

// OIDCScheme is the Principal.Scheme of OpenID Connect callers, whether kafkafn validated
// the token (shared/auth/bearer) or an API Gateway JWT authorizer did (shared/auth/awsauth).
const OIDCScheme = "oidc"

// ClaimSet says which claims of an issuer's tokens name the caller and carry its groups and
// roles. Claim names are looked up literally first (cognito:groups, or Auth0's
// https://example.com/roles), then as a dotted path into nested objects
// (realm_access.roles).
type ClaimSet struct {
	Issuer  string // the issuer's name in principals
	Subject string // default "sub"
	Groups  string
	Roles   string
	// Audience lists the aud (or, without aud, client_id) values accepted for the issuer's
	// tokens where kafkafn did not validate them itself (awsauth); empty: not checked.
	Audience []string
}

// OIDCPrincipal builds the principal oidc:<Issuer>#<subject> from a token's claims. It fails
// when the subject claim is missing or not a non-empty string.
func (c ClaimSet) OIDCPrincipal(claims map[string]any) (*Principal, error) {
	subClaim := c.Subject
	if subClaim == "" {
		subClaim = "sub"
	}
	sub, _ := Claim(claims, subClaim).(string)
	if sub == "" {
		return nil, fmt.Errorf("auth: the token has no %.64q claim (the subject)", subClaim)
	}
	p := &Principal{Scheme: OIDCScheme, ID: c.Issuer + "#" + sub, Name: sub, Issuer: c.Issuer}
	if c.Groups != "" {
		p.Groups = ClaimStrings(claims, c.Groups)
	}
	if c.Roles != "" {
		p.Roles = ClaimStrings(claims, c.Roles)
	}
	return p, nil
}

// Claim returns the claim named name, or reached by its dotted path; nil when absent.
func Claim(claims map[string]any, name string) any {
	if v, ok := claims[name]; ok {
		return v
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

// ClaimStrings reads a claim as a list of strings: a JSON array of strings, or one string
// holding a space- or comma-separated list (OAuth scope; REST API Cognito authorizers join
// cognito:groups with commas) or the "[a b c]" form in which API Gateway HTTP API JWT
// authorizers pass array claims. Other values yield nil.
func ClaimStrings(claims map[string]any, name string) []string {
	switch v := Claim(claims, name).(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	case string:
		if inner, ok := strings.CutPrefix(v, "["); ok {
			if inner, ok = strings.CutSuffix(inner, "]"); ok {
				v = inner
			}
		}
		return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	}
	return nil
}
