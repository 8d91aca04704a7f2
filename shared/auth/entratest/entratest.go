// Package entratest runs a fake Microsoft Entra ID for tests: a TLS httptest server that
// serves OpenID metadata (v1 and v2), the tenant's JSON Web Key Sets, and a client-credentials
// token endpoint that checks client secrets and mints real RS256 JWTs.
//
// It is protocol-level test support, like net/http/httptest: MSAL Go talks to it as it would
// to login.microsoftonline.com (authority = Server.Authority(), with instance discovery off
// and Server.Client() as the HTTP client), and the bearer validator fetches its keys from it
// (authority host = Server.URL). Tests can mint tokens with any claims, rotate the signing
// key, take the server down and count the calls it received.
//
// Endpoints, for the server's tenant T:
//
//	GET  /T/.well-known/openid-configuration        v1 metadata (issuer https://sts.windows.net/T/)
//	GET  /T/v2.0/.well-known/openid-configuration   v2 metadata (issuer <URL>/T/v2.0)
//	GET  /T/discovery/keys                          JWKS (v1 path)
//	GET  /T/discovery/v2.0/keys                     JWKS (v2 path)
//	POST /T/oauth2/v2.0/token                       client_credentials grant
package entratest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTenant is the tenant ID a Server uses unless WithTenant says otherwise.
const DefaultTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// App is a confidential client registered with the fake. Tokens minted for it by the token
// endpoint carry its roles, groups and extra claims.
type App struct {
	ClientID string
	Secret   string
	// ObjectID is the service principal's object ID (the oid claim). Empty: derived from
	// ClientID.
	ObjectID string
	Roles    []string
	Groups   []string
	// Version is the access token version minted for this app: "1.0" or "2.0" (default).
	Version string
	// Claims are added to (and override) the minted claims.
	Claims map[string]any
}

// Server is a running fake Entra ID. Its methods are safe for concurrent use.
type Server struct {
	// URL is the authority host, https://127.0.0.1:PORT, with no trailing slash.
	URL string
	// Tenant is the tenant ID.
	Tenant string

	srv       *httptest.Server
	expiresIn int

	mu   sync.Mutex
	keys []signingKey // published in the JWKS; the last one signs
	apps map[string]App
	down bool

	tokenCalls    atomic.Int64
	metadataCalls atomic.Int64
	keysCalls     atomic.Int64
}

type signingKey struct {
	kid  string
	key  *rsa.PrivateKey
	cert []byte // self-signed certificate (DER), published as x5c like Entra does
}

// New starts a fake Entra ID with one signing key and no registered apps. It is closed when
// the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{Tenant: DefaultTenant, expiresIn: 3599, apps: map[string]App{}}
	s.keys = []signingKey{newKey(t)}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// NewKey returns a fresh 2048-bit RSA key, for tests that sign tokens with a key the server
// does not know.
func NewKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("entratest: generate key: %v", err)
	}
	return k
}

func newKey(t testing.TB) signingKey {
	t.Helper()
	key := NewKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "accounts.accesscontrol.windows.net"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("entratest: certificate: %v", err)
	}
	return signingKey{kid: randomHex(8), key: key, cert: der}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CertificatePEM is the server's certificate in PEM form, for a child process that must
// trust it (SSL_CERT_FILE).
func (s *Server) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// Authority is the MSAL authority URL: URL + "/" + Tenant.
func (s *Server) Authority() string { return s.URL + "/" + s.Tenant }

// IssuerV1 is the issuer of v1.0 tokens: https://sts.windows.net/<tenant>/.
func (s *Server) IssuerV1() string { return "https://sts.windows.net/" + s.Tenant + "/" }

// IssuerV2 is the issuer of v2.0 tokens: <URL>/<tenant>/v2.0.
func (s *Server) IssuerV2() string { return s.Authority() + "/v2.0" }

// Register adds (or replaces) a confidential client.
func (s *Server) Register(app App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[app.ClientID] = app
}

// SetDown makes every endpoint answer 503 (true) or serve normally again (false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// TokenCalls counts requests to the token endpoint.
func (s *Server) TokenCalls() int64 { return s.tokenCalls.Load() }

// MetadataCalls counts requests for OpenID metadata (v1 and v2).
func (s *Server) MetadataCalls() int64 { return s.metadataCalls.Load() }

// KeysCalls counts requests for the key sets (both paths).
func (s *Server) KeysCalls() int64 { return s.keysCalls.Load() }

// Key returns the current signing key and its kid.
func (s *Server) Key() (kid string, key *rsa.PrivateKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[len(s.keys)-1]
	return k.kid, k.key
}

// Rotate adds a new signing key and returns its kid. The new key signs from now on; with
// keepOld the previous keys stay published (Entra's overlap period), otherwise they are
// withdrawn from the key sets.
func (s *Server) Rotate(t testing.TB, keepOld bool) string {
	t.Helper()
	k := newKey(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if keepOld {
		s.keys = append(s.keys, k)
	} else {
		s.keys = []signingKey{k}
	}
	return k.kid
}

// Claims returns the claims of a valid app-only access token of the given version ("1.0" or
// "2.0") for audience aud, issued now and valid for an hour. Callers add roles or groups and
// change what the test needs.
func (s *Server) Claims(version, aud string) jwt.MapClaims {
	now := time.Now()
	const clientID = "0b6a2b0e-1e7b-4f0e-9d7f-0c1c2d3e4f50"
	c := jwt.MapClaims{
		"aud":   aud,
		"tid":   s.Tenant,
		"oid":   "5f1c7a63-3f4e-4d2a-9a51-7d3b1a2c4e5f",
		"sub":   "5f1c7a63-3f4e-4d2a-9a51-7d3b1a2c4e5f",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
		"ver":   version,
		"idtyp": "app",
	}
	if version == "1.0" {
		c["iss"] = s.IssuerV1()
		c["appid"] = clientID
		c["appidacr"] = "1"
	} else {
		c["iss"] = s.IssuerV2()
		c["azp"] = clientID
		c["azpacr"] = "1"
	}
	return c
}

// Sign returns claims as a compact RS256 JWT signed with the current key, with its kid (and,
// as Entra does for v1 tokens, a typ header).
func (s *Server) Sign(claims jwt.MapClaims) string {
	kid, key := s.Key()
	return SignWith(key, kid, claims)
}

// SignWith signs claims with key under the given kid (empty: no kid header).
func SignWith(key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	raw, err := tok.SignedString(key)
	if err != nil {
		panic("entratest: sign: " + err.Error()) // only with a broken key
	}
	return raw
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	base := "/" + s.Tenant
	path := r.URL.Path
	var count *atomic.Int64
	switch path {
	case base + "/.well-known/openid-configuration", base + "/v2.0/.well-known/openid-configuration":
		count = &s.metadataCalls
	case base + "/discovery/keys", base + "/discovery/v2.0/keys":
		count = &s.keysCalls
	case base + "/oauth2/v2.0/token", base + "/oauth2/token":
		count = &s.tokenCalls
	default:
		writeError(w, http.StatusNotFound, "invalid_request", 90002, "Tenant or path not found.")
		return
	}
	count.Add(1)
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", 90033, "The service is temporarily unavailable.")
		return
	}
	switch {
	case r.Method == http.MethodGet && path == base+"/v2.0/.well-known/openid-configuration":
		meta := s.metadata(s.IssuerV2(), "/oauth2/v2.0", "/discovery/v2.0/keys")
		meta["tenant_region_scope"] = "EU"
		writeJSON(w, http.StatusOK, meta)
	case r.Method == http.MethodGet && path == base+"/.well-known/openid-configuration":
		writeJSON(w, http.StatusOK, s.metadata(s.IssuerV1(), "/oauth2", "/discovery/keys"))
	case r.Method == http.MethodGet && (path == base+"/discovery/keys" || path == base+"/discovery/v2.0/keys"):
		writeJSON(w, http.StatusOK, s.jwks())
	case r.Method == http.MethodPost && path == base+"/oauth2/v2.0/token":
		s.token(w, r)
	default:
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts "+map[bool]string{true: "POST", false: "GET"}[strings.Contains(path, "/oauth2/")]+" requests.")
	}
}

// metadata is an OpenID configuration document: issuer, the authorize and token endpoints
// under oauth2, and the key set at jwks (paths under the authority).
func (s *Server) metadata(issuer, oauth2, jwks string) map[string]any {
	return map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                s.Authority() + oauth2 + "/authorize",
		"token_endpoint":                        s.Authority() + oauth2 + "/token",
		"jwks_uri":                              s.Authority() + jwks,
		"id_token_signing_alg_values_supported": []string{"RS256"},
	}
}

func (s *Server) jwks() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]map[string]any, 0, len(s.keys))
	for _, k := range s.keys {
		pub := k.key.PublicKey
		thumb := sha1.Sum(k.cert) // x5t is defined as the SHA-1 thumbprint (RFC 7517 §4.8)
		keys = append(keys, map[string]any{
			"kty":    "RSA",
			"use":    "sig",
			"kid":    k.kid,
			"x5t":    base64.RawURLEncoding.EncodeToString(thumb[:]),
			"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			"x5c":    []string{base64.StdEncoding.EncodeToString(k.cert)},
			"issuer": s.IssuerV2(),
		})
	}
	return map[string]any{"keys": keys}
}

// token serves the client_credentials grant with a client secret, sent in the form or with
// HTTP Basic.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must be form encoded.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
		return
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id, sec, ok := r.BasicAuth(); ok {
		clientID, secret = id, sec
	}
	s.mu.Lock()
	app, known := s.apps[clientID]
	s.mu.Unlock()
	switch {
	case clientID == "":
		writeError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	case !known:
		writeError(w, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier was not found in the directory.")
		return
	case secret == "":
		writeError(w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	case subtle.ConstantTimeCompare([]byte(secret), []byte(app.Secret)) != 1:
		writeError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided.")
		return
	}
	var resource string
	for _, sc := range strings.Fields(r.PostForm.Get("scope")) {
		switch sc {
		case "openid", "offline_access", "profile":
			continue
		}
		if !strings.HasSuffix(sc, "/.default") || resource != "" {
			writeError(w, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
			return
		}
		resource = strings.TrimSuffix(sc, "/.default")
	}
	if resource == "" {
		writeError(w, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope is not valid.")
		return
	}
	version := app.Version
	if version == "" {
		version = "2.0"
	}
	claims := s.Claims(version, resource)
	now := time.Now()
	claims["exp"] = now.Add(time.Duration(s.expiresIn) * time.Second).Unix()
	oid := app.ObjectID
	if oid == "" {
		oid = derivedOID(app.ClientID)
	}
	claims["oid"], claims["sub"] = oid, oid
	if version == "1.0" {
		claims["appid"] = app.ClientID
	} else {
		claims["azp"] = app.ClientID
	}
	if len(app.Roles) > 0 {
		claims["roles"] = app.Roles
	}
	if len(app.Groups) > 0 {
		claims["groups"] = app.Groups
	}
	for k, v := range app.Claims {
		claims[k] = v
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     s.expiresIn,
		"ext_expires_in": s.expiresIn,
		"access_token":   s.Sign(claims),
	})
}

// derivedOID makes a stable GUID-shaped object ID from a client ID.
func derivedOID(clientID string) string {
	sum := sha256.Sum256([]byte(clientID))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": "AADSTS" + strconv.Itoa(aadsts) + ": " + desc,
		"error_codes":       []int{aadsts},
		"timestamp":         time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id":          "00000000-0000-0000-0000-000000000000",
		"correlation_id":    "00000000-0000-0000-0000-000000000000",
	})
}
