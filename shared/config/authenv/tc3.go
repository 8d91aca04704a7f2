// Package authenv reads the authentication and authorisation sections of the environment
// (AUTH_*) into the types their packages own: auth.Config (the insecure dev switch, API keys,
// the AWS authorizer, the TC3 service name), tc3.Config, policy.Config, bearer.EntraConfig and
// bearer.OIDCIssuer.
// It is apart from config so that config, which every binary links, links none of the
// verifiers; the token binary needs none of them.
package authenv

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/config/envread"
)

// TC3FromEnv reads the TC3 section. Error messages name the variable and the entry's
// position, never a SecretKey.
func TC3FromEnv(getenv func(string) string) (tc3.Config, error) {
	const name = "AUTH_TC3_CREDENTIALS"
	r := envread.New(getenv)
	c := tc3.Config{PublicHosts: r.List("AUTH_TC3_PUBLIC_HOSTS")}
	for _, h := range c.PublicHosts {
		if strings.ContainsAny(h, "/ @?#") {
			r.Fail("AUTH_TC3_PUBLIC_HOSTS", "%q is not a host[:port]", h)
		}
	}
	raw := strings.TrimSpace(r.Secret(name))
	if path, ok := strings.CutPrefix(raw, "@"); ok {
		raw = string(r.ReadFile(name, strings.TrimSpace(path)))
	}
	entries := strings.FieldsFunc(raw, func(c rune) bool { return c == ',' || c == '\n' || c == '\r' })
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		id, key, ok := strings.Cut(e, ":")
		id, key = strings.TrimSpace(id), strings.TrimSpace(key)
		switch {
		case !ok || id == "" || key == "":
			r.Fail(name, "entry %d must be secretId:secretKey", i+1)
			continue
		case strings.ContainsAny(id, "/ \t"):
			r.Fail(name, "entry %d: the SecretId must not contain '/' or spaces", i+1)
			continue
		}
		if c.Keys == nil {
			c.Keys = map[string][]string{}
		}
		if len(c.Keys[id]) == 2 {
			r.Fail(name, "SecretId %s has more than two keys (two are allowed, for rotation)", id)
			continue
		}
		c.Keys[id] = append(c.Keys[id], key)
	}
	if raw != "" && len(c.Keys) == 0 && !r.Failed() {
		r.Fail(name, "holds no secretId:secretKey pair")
	}
	return c, r.Err()
}
