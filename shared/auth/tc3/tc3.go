// Package tc3 verifies TencentCloud API 3.0 request signatures (TC3-HMAC-SHA256), the
// scheme Tencent's SDKs and tccli use with a SecretId/SecretKey pair, and signs requests the
// same way for tests and clients.
//
// A request is accepted when its Authorization header is
//
//	TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request, SignedHeaders=<a;b>, Signature=<64 hex>
//
// the SignedHeaders list is lower-case, sorted and includes content-type and host,
// X-TC-Timestamp is within MaxSkew of the server clock, the scope's date is the UTC date of
// that timestamp and its service is the verifier's, the SecretId is known, and the signature,
// recomputed from the canonical request (method, canonical URI, canonical query, the signed
// headers, sha256 of the body), equals one of the SecretId's keys' signatures (two keys per
// SecretId allow rotation). Comparisons are constant-time.
//
// Two canonical forms: Verify is the TencentCloud API's (POST, URI "/", empty query), which
// the SDKs sign and the CKafka SendMessage action uses; VerifyRoute (and Authenticate, the
// Guard's authenticator for every route) takes the request path as the canonical URI and the
// query as sent as the canonical query, for any method, so a signature covers its route and
// topic and cannot be replayed against another. A "/"-signed request verifies only on "/".
//
// The host that was signed is the request's Host or one of the configured public hosts (an
// API gateway or custom domain may rewrite Host). Unsigned payloads
// (X-TC-Content-SHA256: UNSIGNED-PAYLOAD) are refused: the body would not be covered.
//
// The official Go SDK signs only content-type and host: X-TC-Action, X-TC-Version and
// X-TC-Region are not covered, and a captured request stays valid for MaxSkew. Callers must
// decode bodies strictly per action and serve only the actions they mean to.
//
// Errors are apierr errors of kind Unauthorized whose codes name the TencentCloud
// AuthFailure sub-code (see the Code constants); messages never carry keys or signatures.
package tc3

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
)

// Algorithm is the Authorization scheme name.
const Algorithm = "TC3-HMAC-SHA256"

// Scheme is the Principal.Scheme of TC3 callers.
const Scheme = "tc3"

// MaxSkew is the largest accepted difference between X-TC-Timestamp and the server clock.
const MaxSkew = 5 * time.Minute

// MaxAuthorizationBytes caps the Authorization header.
const MaxAuthorizationBytes = 4 << 10

// UnsignedPayload is the X-TC-Content-SHA256 value of requests whose body is not signed.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// The error codes (apierr codes of kind Unauthorized), one per TencentCloud AuthFailure
// sub-code.
const (
	CodeInvalidAuthorization = "invalid_authorization" // AuthFailure.InvalidAuthorization
	CodeSignatureExpire      = "signature_expire"      // AuthFailure.SignatureExpire
	CodeSecretIDNotFound     = "secret_id_not_found"   // AuthFailure.SecretIdNotFound
	CodeSignatureFailure     = "signature_failure"     // AuthFailure.SignatureFailure
)

func invalid(msg string) error {
	return apierr.E(apierr.Unauthorized, CodeInvalidAuthorization, msg)
}

var (
	errNoAuthorization = invalid("the request has no TC3-HMAC-SHA256 Authorization header")
	errExpired         = apierr.E(apierr.Unauthorized, CodeSignatureExpire,
		"the signature has expired: X-TC-Timestamp is more than 5 minutes from the server time")
	errUnknownID = apierr.E(apierr.Unauthorized, CodeSecretIDNotFound, "the SecretId is not found")
	errMismatch  = apierr.E(apierr.Unauthorized, CodeSignatureFailure, "the signature does not match the request")
)

// Authorization is a parsed TC3 Authorization header.
type Authorization struct {
	SecretID      string
	Date          string   // YYYY-MM-DD
	Service       string   // e.g. ckafka
	SignedHeaders []string // lower-case, sorted
	Signature     []byte   // 32 bytes
}

// ParseAuthorization parses one TC3-HMAC-SHA256 Authorization value. It checks the form
// only (field names, scope shape, header list order, signature length), not the signature.
func ParseAuthorization(v string) (Authorization, error) {
	var a Authorization
	if len(v) > MaxAuthorizationBytes {
		return a, invalid("the Authorization header is too long")
	}
	rest, ok := strings.CutPrefix(strings.TrimLeft(v, " "), Algorithm+" ")
	if !ok {
		return a, invalid("the Authorization header must start with " + Algorithm)
	}
	var cred, signed, sig string
	var seen [3]bool
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.Trim(part, " "), "=")
		if !ok {
			return a, invalid("the Authorization header has a field without '='")
		}
		i := slices.Index([]string{"Credential", "SignedHeaders", "Signature"}, k)
		if i < 0 || seen[i] {
			return a, invalid("the Authorization header must hold Credential, SignedHeaders and Signature once each")
		}
		seen[i] = true
		switch i {
		case 0:
			cred = val
		case 1:
			signed = val
		case 2:
			sig = val
		}
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return a, invalid("the Authorization header must hold Credential, SignedHeaders and Signature")
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 4 || scope[0] == "" || scope[3] != "tc3_request" {
		return a, invalid("Credential must be <SecretId>/<date>/<service>/tc3_request")
	}
	if _, err := time.Parse(time.DateOnly, scope[1]); err != nil {
		return a, invalid("the Credential date must be YYYY-MM-DD")
	}
	if scope[2] == "" {
		return a, invalid("the Credential service is empty")
	}
	a.SecretID, a.Date, a.Service = scope[0], scope[1], scope[2]
	a.SignedHeaders = strings.Split(signed, ";")
	for i, h := range a.SignedHeaders {
		if h == "" || strings.ToLower(h) != h || !isToken(h) {
			return a, invalid("SignedHeaders must be lower-case header names separated by ';'")
		}
		if i > 0 && a.SignedHeaders[i-1] >= h {
			return a, invalid("SignedHeaders must be sorted and unique")
		}
	}
	if !slices.Contains(a.SignedHeaders, "content-type") || !slices.Contains(a.SignedHeaders, "host") {
		return a, invalid("SignedHeaders must include content-type and host")
	}
	if len(sig) != 2*sha256.Size {
		return a, invalid("Signature must be 64 hex digits")
	}
	b, err := hex.DecodeString(sig)
	if err != nil {
		return a, invalid("Signature must be 64 hex digits")
	}
	a.Signature = b
	return a, nil
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Verifier checks TC3 signatures for one service. It is safe for concurrent use.
type Verifier struct {
	service string
	keys    map[string][][]byte // SecretId → SecretKeys ("TC3"+key, ready for the first HMAC)
	hosts   []string
	now     func() time.Time
	maxBody int64
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithPublicHosts adds hosts (host[:port]) that clients may have signed besides the request's
// Host, for deployments behind a gateway or custom domain that rewrites Host.
func WithPublicHosts(hosts ...string) Option {
	return func(v *Verifier) { v.hosts = append(v.hosts, hosts...) }
}

// WithMaxBody caps the body Authenticate reads (kafkafn passes HTTP_MAX_BODY_BYTES).
func WithMaxBody(n int64) Option { return func(v *Verifier) { v.maxBody = n } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a Verifier for service (e.g. "ckafka") accepting the given keys:
// SecretId → one or two SecretKeys.
func NewVerifier(service string, keys map[string][]string, opts ...Option) (*Verifier, error) {
	if service == "" {
		return nil, errors.New("tc3: new verifier: empty service")
	}
	v := &Verifier{service: service, keys: make(map[string][][]byte, len(keys)), now: time.Now}
	for id, ks := range keys {
		if id == "" || len(ks) == 0 {
			return nil, errors.New("tc3: new verifier: a SecretId with no key")
		}
		for _, k := range ks {
			if k == "" {
				return nil, errors.New("tc3: new verifier: an empty SecretKey for SecretId " + id)
			}
			v.keys[id] = append(v.keys[id], []byte("TC3"+k))
		}
	}
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// Verify checks the signature of a TencentCloud API request (POST /, canonical URI "/",
// empty query, as the SDKs sign) over body (r's body, already read) and returns the SecretId
// that signed it. Errors are of kind Unauthorized with one of the Code constants.
func (v *Verifier) Verify(r *http.Request, body []byte) (string, error) {
	return v.verify(r, body, "/", "", true)
}

// VerifyRoute checks a signature whose canonical URI is the request path as sent and whose
// canonical query string is the query as sent, for any method: the form kafkafn accepts on
// its own routes, so a signature covers the route and its topic.
func (v *Verifier) VerifyRoute(r *http.Request, body []byte) (string, error) {
	return v.verify(r, body, r.URL.EscapedPath(), r.URL.RawQuery, false)
}

func (v *Verifier) verify(r *http.Request, body []byte, uri, query string, postOnly bool) (string, error) {
	c, err := v.precheck(r, postOnly)
	if err != nil {
		return "", err
	}
	return v.check(r, c, body, uri, query)
}

// checked is a request whose Authorization header, timestamp, scope and SecretId passed.
type checked struct {
	a    Authorization
	ts   int64
	keys [][]byte
}

// precheck runs every check that does not need the body, so a request is refused before its
// body is read when its header, clock or SecretId is wrong.
func (v *Verifier) precheck(r *http.Request, postOnly bool) (checked, error) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0:
		return checked{}, errNoAuthorization
	case len(values) > 1:
		return checked{}, invalid("the request has more than one Authorization header")
	}
	a, err := ParseAuthorization(values[0])
	if err != nil {
		return checked{}, err
	}
	tsText := r.Header.Get("X-TC-Timestamp")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts < 0 || strconv.FormatInt(ts, 10) != tsText {
		return checked{}, invalid("X-TC-Timestamp must be the request time in Unix seconds")
	}
	if d := v.now().Sub(time.Unix(ts, 0)); d > MaxSkew || d < -MaxSkew {
		return checked{}, errExpired
	}
	if a.Date != time.Unix(ts, 0).UTC().Format(time.DateOnly) {
		return checked{}, invalid("the Credential date must be the UTC date of X-TC-Timestamp")
	}
	if a.Service != v.service {
		return checked{}, invalid("the Credential service must be " + v.service)
	}
	keys, ok := v.keys[a.SecretID]
	if !ok {
		return checked{}, errUnknownID
	}
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("X-TC-Content-SHA256")), UnsignedPayload) {
		return checked{}, invalid("unsigned payloads (X-TC-Content-SHA256: UNSIGNED-PAYLOAD) are not accepted")
	}
	if postOnly && r.Method != http.MethodPost {
		return checked{}, invalid("only POST requests are accepted")
	}
	return checked{a: a, ts: ts, keys: keys}, nil
}

// check recomputes the signature over the canonical request.
func (v *Verifier) check(r *http.Request, c checked, body []byte, uri, query string) (string, error) {
	a := c.a
	headers := make([]string, len(a.SignedHeaders))
	hostAt := -1
	for i, name := range a.SignedHeaders {
		if name == "host" {
			hostAt = i
			continue
		}
		vs := r.Header.Values(name)
		if len(vs) != 1 {
			return "", invalid("the signed header " + name + " must appear exactly once")
		}
		headers[i] = vs[0]
	}
	payload := sha256Hex(body)
	hosts := append([]string{r.Host}, v.hosts...)
	for _, host := range hosts {
		headers[hostAt] = host
		for _, lower := range []bool{false, true} {
			hs := headers
			if lower {
				hs = lowerAll(headers)
			}
			canon := CanonicalRequestURI(r.Method, uri, query, a.SignedHeaders, hs, payload)
			sts := StringToSign(c.ts, a.Date, v.service, canon)
			for _, k := range c.keys {
				if hmac.Equal(sign(k, a.Date, v.service, sts), a.Signature) {
					return a.SecretID, nil
				}
			}
		}
	}
	return "", errMismatch
}

// MaxBodyBytes is the largest body Authenticate reads unless WithMaxBody says otherwise
// (the TencentCloud API limit).
const MaxBodyBytes = 10 << 20

// Authenticate implements auth.Authenticator for kafkafn's routes: it reads the body (at most
// MaxBodyBytes or WithMaxBody) after every check that needs no body passed, puts it back for the handler, and verifies the signature with VerifyRoute:
// canonical URI = the request path, canonical query = the query, so a signature made for one
// route or topic does not verify on another. A request without a TC3 Authorization header
// gets auth.ErrNoCredentials.
//
// The path "/" is the TencentCloud API endpoint: there only POST is accepted (the SDKs'
// "/"-signed requests; SendMessage verifies them itself), and a "/"-signed request never
// verifies on any other path.
func (v *Verifier) Authenticate(r *http.Request) (*auth.Principal, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 || !slices.ContainsFunc(values, func(s string) bool {
		return strings.HasPrefix(strings.TrimLeft(s, " "), Algorithm)
	}) {
		return nil, auth.ErrNoCredentials
	}
	if r.URL.Path == "/" && r.Method != http.MethodPost {
		return nil, invalid("on the TencentCloud API path / only POST is accepted")
	}
	c, err := v.precheck(r, false)
	if err != nil {
		return nil, err
	}
	limit := v.maxBody
	if limit <= 0 {
		limit = MaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var ae *apierr.Error
	if errors.As(err, &ae) { // the body budget: 408 body_timeout, 503 server_busy
		return nil, err
	}
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, "invalid_body", "the request body could not be read", err)
	}
	if int64(len(body)) > limit {
		return nil, apierr.E(apierr.TooLarge, "body_too_large", fmt.Sprintf("the request body is larger than %d bytes", limit))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	id, err := v.check(r, c, body, r.URL.EscapedPath(), r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	return NewPrincipal(id), nil
}

// Challenge implements auth.Authenticator: TC3 has no WWW-Authenticate challenge.
func (v *Verifier) Challenge(error) string { return "" }

var _ auth.Authenticator = (*Verifier)(nil)

// NewPrincipal is the principal of a request signed with secretID.
func NewPrincipal(secretID string) *auth.Principal {
	return &auth.Principal{Scheme: Scheme, ID: secretID, Name: secretID}
}

// CanonicalRequest builds the canonical request of the TencentCloud API: method, URI "/",
// query, one "name:value\n" per signed header (names lower-case and sorted, values as given),
// the signed header list and the hex sha256 of the payload, joined by newlines.
func CanonicalRequest(method, query string, names, values []string, payloadHash string) string {
	return CanonicalRequestURI(method, "/", query, names, values, payloadHash)
}

// CanonicalRequestURI is CanonicalRequest with canonical URI uri (kafkafn's routes sign the
// request path).
func CanonicalRequestURI(method, uri, query string, names, values []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for i, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(values[i])
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(names, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// StringToSign is "TC3-HMAC-SHA256\n<timestamp>\n<date>/<service>/tc3_request\n<hex sha256 of canonical>".
func StringToSign(ts int64, date, service, canonical string) string {
	return Algorithm + "\n" + strconv.FormatInt(ts, 10) + "\n" + date + "/" + service + "/tc3_request\n" +
		sha256Hex([]byte(canonical))
}

// Signature returns the hex signature of stringToSign with secretKey for date and service.
func Signature(secretKey, date, service, stringToSign string) string {
	return hex.EncodeToString(sign([]byte("TC3"+secretKey), date, service, stringToSign))
}

// sign derives the signing key from key ("TC3"+SecretKey) and signs sts.
func sign(key []byte, date, service, sts string) []byte {
	k := hmacSHA256(key, date)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "tc3_request")
	return hmacSHA256(k, sts)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}
