// Package apikey authenticates requests that carry an API key as HTTP Basic credentials
// (Authorization: Basic base64(<key id>:<secret>)), what Confluent-style REST clients, webhook
// tools and `curl -u id:secret` send.
//
// Keys are configured as the SHA-256 of their secret (AUTH_API_KEYS). Secrets are random,
// at least 128 bits (scripts/gen-api-key makes 256), so a fast hash is right: there is nothing
// to brute-force that a slow hash would protect. The comparison is constant-time, and an
// unknown key id costs the same work as a wrong secret. The principal is key:<id>.
//
// Answers: no Authorization header, or another scheme → auth.ErrNoCredentials; anything else
// that does not match → 401 with WWW-Authenticate: Basic realm="kafkafn". Neither errors nor
// logs carry the secret.
//
// Hand-written (about 100 lines): net/http's Request.BasicAuth parses the header; the rest is
// a map lookup and crypto/subtle.
package apikey

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
)

// Scheme is the Principal.Scheme of API-key callers.
const Scheme = "key"

// Challenge is the WWW-Authenticate value of a 401.
const Challenge = `Basic realm="kafkafn"`

// maxHeaderBytes caps the Authorization header (id ≤ 64, secret of a few dozen bytes).
const maxHeaderBytes = 1 << 10

var errInvalid = apierr.E(apierr.Unauthorized, "invalid_api_key", "the API key is not valid")

// Authenticator checks API keys. It implements auth.Authenticator and is safe for concurrent
// use.
type Authenticator struct {
	keys map[string][]byte // key id → sha256(secret)
	// dummy is hashed against when the id is unknown, so both failures cost the same.
	dummy []byte
}

var _ auth.Authenticator = (*Authenticator)(nil)

// New returns an Authenticator for keys: key id → SHA-256 of the secret (32 bytes).
func New(keys map[string][]byte) (*Authenticator, error) {
	a := &Authenticator{keys: make(map[string][]byte, len(keys)), dummy: make([]byte, sha256.Size)}
	for id, sum := range keys {
		if id == "" || strings.Contains(id, ":") || len(sum) != sha256.Size {
			return nil, errors.New("apikey: new: each key needs a non-empty id without ':' and a 32-byte SHA-256")
		}
		a.keys[id] = append([]byte(nil), sum...)
	}
	if len(a.keys) == 0 {
		return nil, errors.New("apikey: new: no keys")
	}
	return a, nil
}

// Authenticate implements auth.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (*auth.Principal, error) {
	values := r.Header.Values("Authorization")
	basic := 0
	for _, v := range values {
		if scheme, _, _ := strings.Cut(strings.TrimLeft(v, " "), " "); strings.EqualFold(scheme, "Basic") {
			basic++
		}
	}
	switch {
	case basic == 0:
		return nil, auth.ErrNoCredentials
	case len(values) > 1 || len(values[0]) > maxHeaderBytes:
		return nil, errInvalid
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id == "" || secret == "" {
		return nil, errInvalid
	}
	return a.Check(id, secret)
}

// Check verifies one id and secret.
func (a *Authenticator) Check(id, secret string) (*auth.Principal, error) {
	want, known := a.keys[id]
	if !known {
		want = a.dummy
	}
	got := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(got[:], want) != 1 || !known {
		return nil, errInvalid
	}
	return &auth.Principal{Scheme: Scheme, ID: id, Name: id}, nil
}

// Challenge implements auth.Authenticator.
func (a *Authenticator) Challenge(err error) string {
	if errors.Is(err, auth.ErrNoCredentials) || apierr.KindOf(err) == apierr.Unauthorized {
		return Challenge
	}
	return ""
}
