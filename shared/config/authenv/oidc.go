package authenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/config/envread"
)

// oidcEntry is the JSON form of an AUTH_OIDC entry: audience is a string or a list.
type oidcEntry struct {
	Issuer       string          `json:"issuer"`
	Audience     json.RawMessage `json:"audience"`
	JWKSURI      string          `json:"jwks_uri"`
	SubjectClaim string          `json:"subject_claim"`
	GroupsClaim  string          `json:"groups_claim"`
	RolesClaim   string          `json:"roles_claim"`
	Name         string          `json:"name"`
}

// OIDCFromEnv reads AUTH_OIDC (a JSON list, or @/path to a file holding it): the OpenID
// Connect issuers whose access tokens are accepted. Errors name the variable and the entry.
func OIDCFromEnv(getenv func(string) string) ([]bearer.OIDCIssuer, error) {
	r := envread.New(getenv)
	return oidcFromEnv(r), r.Err()
}

func oidcFromEnv(r *envread.Reader) []bearer.OIDCIssuer {
	const name = "AUTH_OIDC"
	v := r.JSONValue(name)
	if v == "" {
		return nil
	}
	var doc []oidcEntry
	if err := envread.DecodeStrict(v, &doc); err != nil {
		r.Fail(name, `must be a JSON list [{"issuer": "https://…", "audience": "…", …}]: %v`, err)
		return nil
	}
	if len(doc) == 0 {
		r.Fail(name, "lists no issuer")
		return nil
	}
	var out []bearer.OIDCIssuer
	names := map[string]bool{}
	for i, e := range doc {
		at := fmt.Sprintf("entry %d", i)
		iss := bearer.OIDCIssuer{Issuer: e.Issuer, JWKSURI: e.JWKSURI, SubjectClaim: e.SubjectClaim,
			GroupsClaim: e.GroupsClaim, RolesClaim: e.RolesClaim, Name: e.Name}
		if u, err := url.Parse(e.Issuer); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			r.Fail(name, "%s: issuer must be an https URL with no query or fragment, got %.200q", at, e.Issuer)
			continue
		}
		if e.JWKSURI != "" {
			if u, err := url.Parse(e.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" {
				r.Fail(name, "%s: jwks_uri must be an https URL", at)
				continue
			}
		}
		aud := bytes.TrimSpace(e.Audience)
		var one string
		if json.Unmarshal(aud, &one) == nil {
			iss.Audience = []string{one}
		} else if json.Unmarshal(aud, &iss.Audience) != nil {
			r.Fail(name, "%s: audience must be a string or a list of strings", at)
			continue
		}
		if slices.Contains(iss.Audience, "") || len(iss.Audience) == 0 {
			r.Fail(name, "%s: audience is required (the aud or client_id your tokens carry)", at)
			continue
		}
		if iss.Name == "" {
			iss.Name = iss.Issuer
		}
		if strings.ContainsAny(iss.Name, "# ") {
			r.Fail(name, "%s: name must not contain '#' or spaces", at)
			continue
		}
		if names[iss.Name] {
			r.Fail(name, "%s: the name (or issuer) %q is listed twice", at, iss.Name)
			continue
		}
		names[iss.Name] = true
		if iss.SubjectClaim == "" {
			iss.SubjectClaim = "sub"
		}
		out = append(out, iss)
	}
	return out
}
