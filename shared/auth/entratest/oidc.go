package entratest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is a generic OpenID Connect provider over TLS, for identity providers other than
// Entra ID (Cognito, Keycloak, Auth0, GitHub Actions…): it serves
//
//	GET <path>/.well-known/openid-configuration   issuer, jwks_uri
//	GET <path>/jwks                               an RSA and a P-256 key
//
// and mints tokens with whatever claims the test gives (Cognito's cognito:groups and
// client_id, Keycloak's realm_access.roles), signed RS256, PS256 or ES256.
type Issuer struct {
	// URL is the issuer identifier (the iss claim): https://127.0.0.1:PORT<path>.
	URL string

	srv  *httptest.Server
	path string

	mu     sync.Mutex
	rsaKID string
	rsa    *rsa.PrivateKey
	ecKID  string
	ec     *ecdsa.PrivateKey
	down   bool

	metadataCalls atomic.Int64
	keysCalls     atomic.Int64
}

// NewIssuer starts an OIDC provider whose issuer path is path (e.g. "/us-east-1_Pool" for a
// Cognito-like issuer, "/realms/kafkafn" for Keycloak, "/" for Auth0's trailing slash, "" for
// a bare host like Google's or GitHub Actions'). It is closed when the test ends.
func NewIssuer(t testing.TB, path string) *Issuer {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &Issuer{path: path, rsa: NewKey(t), rsaKID: randomHex(8), ec: ec, ecKID: randomHex(8)}
	is.srv = httptest.NewTLSServer(http.HandlerFunc(is.serveHTTP))
	is.URL = is.srv.URL + path
	t.Cleanup(is.srv.Close)
	return is
}

// Client returns an HTTP client that trusts the issuer's certificate.
func (is *Issuer) Client() *http.Client { return is.srv.Client() }

// CertificatePEM is the server's certificate, for a child process (SSL_CERT_FILE).
func (is *Issuer) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.srv.Certificate().Raw})
}

// MetadataCalls and KeysCalls count requests for the metadata and the key set.
func (is *Issuer) MetadataCalls() int64 { return is.metadataCalls.Load() }

// KeysCalls counts requests for the key set.
func (is *Issuer) KeysCalls() int64 { return is.keysCalls.Load() }

// SetDown makes both endpoints answer 503 (true) or serve again (false).
func (is *Issuer) SetDown(down bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.down = down
}

// RotateRSA replaces the RSA signing key (the old one is withdrawn) and returns the new kid.
func (is *Issuer) RotateRSA(t testing.TB) string {
	k := NewKey(t)
	is.mu.Lock()
	defer is.mu.Unlock()
	is.rsa, is.rsaKID = k, randomHex(8)
	return is.rsaKID
}

// Sign signs claims with the issuer's key for method (RS256, PS256 or ES256) under its kid.
func (is *Issuer) Sign(method jwt.SigningMethod, claims jwt.MapClaims) string {
	is.mu.Lock()
	var key any = is.rsa
	kid := is.rsaKID
	if method.Alg() == "ES256" {
		key, kid = is.ec, is.ecKID
	}
	is.mu.Unlock()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	raw, err := tok.SignedString(key)
	if err != nil {
		panic("entratest: sign: " + err.Error())
	}
	return raw
}

// RSAKey returns the current RSA key and kid (for tests that forge tokens with it).
func (is *Issuer) RSAKey() (string, *rsa.PrivateKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.rsaKID, is.rsa
}

func (is *Issuer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// An issuer path "/" (Auth0's https://<tenant>/) serves /.well-known/… and /jwks, as
	// discovery strips the issuer's trailing slash before appending the well-known path.
	base := strings.TrimSuffix(is.path, "/")
	var count *atomic.Int64
	switch r.URL.Path {
	case base + "/.well-known/openid-configuration":
		count = &is.metadataCalls
	case base + "/jwks":
		count = &is.keysCalls
	default:
		http.NotFound(w, r)
		return
	}
	count.Add(1)
	is.mu.Lock()
	down := is.down
	pub, kid, ec, ecKID := is.rsa.PublicKey, is.rsaKID, is.ec.PublicKey, is.ecKID
	is.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if count == &is.metadataCalls {
		writeJSON(w, http.StatusOK, map[string]any{"issuer": is.URL, "jwks_uri": strings.TrimSuffix(is.URL, "/") + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256", "PS256", "ES256"}})
		return
	}
	b64 := base64.RawURLEncoding.EncodeToString
	pt, err := ec.Bytes() // 0x04 || X || Y
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "use": "sig", "kid": kid, "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())},
		{"kty": "EC", "use": "sig", "kid": ecKID, "crv": "P-256", "x": b64(pt[1:33]), "y": b64(pt[33:65])},
	}})
}
