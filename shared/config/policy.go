package config

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
)

// Policy is the raw authorisation policy (AUTH_POLICY: per topic and per consumer group);
// shared/auth/policy parses and validates it.
type Policy struct {
	// JSON is the policy document: AUTH_POLICY's value, or the contents of the file it names
	// with @/path/to/policy.json. Empty when AUTH_POLICY is unset.
	JSON []byte
	// Source says where JSON came from, for error messages: "AUTH_POLICY" or
	// "AUTH_POLICY (@/path)".
	Source string
}

// Set reports whether a policy was configured.
func (p Policy) Set() bool { return len(p.JSON) > 0 }

// PolicyFromEnv reads AUTH_POLICY.
func PolicyFromEnv(getenv Getenv) (Policy, error) {
	const name = "AUTH_POLICY"
	r := envread.New(getenv)
	v := strings.TrimSpace(getenv(name))
	p := Policy{Source: name}
	if path, ok := strings.CutPrefix(v, "@"); ok {
		path = strings.TrimSpace(path)
		p.Source = name + " (@" + path + ")"
		p.JSON = r.ReadFile(name, path)
		if r.Err() == nil && len(strings.TrimSpace(string(p.JSON))) == 0 {
			r.Fail(name, "the file %s is empty", path)
		}
		return p, r.Err()
	}
	p.JSON = []byte(v)
	return p, nil
}
