package authenv

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/config/envread"
)

// APIKeySecretMinBytes is the shortest secret a secretEnv variable may hold: 128 bits.
const APIKeySecretMinBytes = 16

// AuthFromEnv reads the common auth switch and the light schemes into an auth.Config.
// Errors name the variable and the entry; never a secret.
func AuthFromEnv(getenv func(string) string) (auth.Config, error) {
	r := envread.New(getenv)
	a := auth.Config{
		InsecureDev:   r.Boolean("AUTH_INSECURE_DEV", false),
		AWSAuthorizer: r.Boolean("AUTH_AWS_AUTHORIZER", false),
		TC3Service:    r.Str("AUTH_TC3_SERVICE", "ckafka"),
	}
	if !isToken(a.TC3Service) {
		r.Fail("AUTH_TC3_SERVICE", "%q is not a service name (lower-case letters and digits)", a.TC3Service)
	}
	a.APIKeys = apiKeysFromEnv(r)
	return a, r.Err()
}

func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func apiKeysFromEnv(r *envread.Reader) map[string][]byte {
	const name = "AUTH_API_KEYS"
	v := r.JSONValue(name)
	if v == "" {
		return nil
	}
	var doc map[string]struct {
		SHA256    string `json:"sha256"`
		SecretEnv string `json:"secretEnv"`
	}
	if err := envread.DecodeStrict(v, &doc); err != nil {
		r.Fail(name, `must be a JSON object {"<key id>": {"sha256": "<hex SHA-256 of the secret>"} or {"secretEnv": "<VAR>"}}: %v`, err)
		return nil
	}
	if len(doc) == 0 {
		r.Fail(name, "holds no key")
		return nil
	}
	out := make(map[string][]byte, len(doc))
	for id, e := range doc {
		switch {
		case !isKeyID(id):
			r.Fail(name, "key id %.64q must be 1-64 letters, digits, '.', '_' or '-'", id)
		case (e.SHA256 == "") == (e.SecretEnv == ""):
			r.Fail(name, "key %s must have exactly one of sha256 and secretEnv", id)
		case e.SHA256 != "":
			sum, err := hex.DecodeString(e.SHA256)
			if err != nil || len(sum) != sha256.Size {
				r.Fail(name, "key %s: sha256 must be 64 hex digits", id)
				continue
			}
			out[id] = sum
		default:
			secret := r.Getenv(e.SecretEnv)
			switch {
			case strings.HasPrefix(e.SecretEnv, "AUTH_API_KEYS"):
				r.Fail(name, "key %s: secretEnv must name another variable", id)
			case secret == "":
				r.Fail(name, "key %s: secretEnv %s is empty or unset", id, e.SecretEnv)
			case len(secret) < APIKeySecretMinBytes:
				r.Fail(name, "key %s: the secret in %s is shorter than %d bytes; generate one with go run ./scripts/gen-api-key", id, e.SecretEnv, APIKeySecretMinBytes)
			default:
				sum := sha256.Sum256([]byte(secret))
				out[id] = sum[:]
			}
		}
	}
	return out
}

// ValidAPIKeyID reports whether s may name an AUTH_API_KEYS key: 1 to 64 letters, digits,
// '.', '_' or '-' (scripts/gen-api-key checks its -id with it).
func ValidAPIKeyID(s string) bool { return isKeyID(s) }

func isKeyID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
