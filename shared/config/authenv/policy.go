package authenv

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/auth/policy"
	"github.com/kafkafn/kafkafn/shared/config/envread"
)

// PolicyFromEnv reads AUTH_POLICY.
func PolicyFromEnv(getenv func(string) string) (policy.Config, error) {
	const name = "AUTH_POLICY"
	r := envread.New(getenv)
	v := strings.TrimSpace(getenv(name))
	p := policy.Config{Source: name}
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
