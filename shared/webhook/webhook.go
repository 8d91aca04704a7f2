package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Header names of the schemes.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
	HeaderGitHubSignature  = "X-Hub-Signature-256"
	HeaderGitHubDelivery   = "X-GitHub-Delivery"
	HeaderGitHubEvent      = "X-GitHub-Event"
)

// DefaultTolerance is how far a Standard Webhooks timestamp may be from the receiver's
// clock, in either direction (the specification's recommendation).
const DefaultTolerance = 5 * time.Minute

// MinSecretBytes is the shortest secret (after decoding) any scheme accepts: 128 bits.
const MinSecretBytes = 16

// Limits on signature headers, so a hostile header cannot make verification expensive.
const (
	maxSignatureHeader = 8 << 10 // bytes
	maxSignatures      = 32      // space-separated entries in webhook-signature
)

// The causes of verification failures, for errors.Is. Verifiers return them wrapped in an
// *apierr.Error of kind Unauthorized with a public message.
var (
	ErrMissingSignature   = errors.New("webhook: missing signature")
	ErrMalformedSignature = errors.New("webhook: malformed signature")
	ErrInvalidSignature   = errors.New("webhook: no matching signature")
	ErrStaleTimestamp     = errors.New("webhook: timestamp outside tolerance")
)

func wrapUnauthorized(code, message string, cause error) error {
	return apierr.Wrap(apierr.Unauthorized, code, message, cause)
}

func missing(header string) error {
	return wrapUnauthorized("missing_signature", "the webhook header "+header+" is missing", ErrMissingSignature)
}

func malformed(header, why string) error {
	return wrapUnauthorized("malformed_signature", "the webhook header "+header+" is malformed: "+why, ErrMalformedSignature)
}

func invalid() error {
	return wrapUnauthorized("invalid_signature", "the webhook signature does not match the body", ErrInvalidSignature)
}

// Verifier checks the signature of one delivery: its request headers and raw body, at the
// receiver's time now.
type Verifier interface {
	Verify(h http.Header, body []byte, now time.Time) error
}

// mac returns HMAC-SHA256(key, parts...).
func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// anyKeyMatches reports whether want equals the MAC of parts under any key, comparing in
// constant time. Every key is tried, so timing does not tell which one matched.
func anyKeyMatches(keys [][]byte, want []byte, parts ...[]byte) bool {
	ok := false
	for _, k := range keys {
		if hmac.Equal(mac(k, parts...), want) {
			ok = true
		}
	}
	return ok
}

func checkKeys(keys [][]byte) error {
	if len(keys) == 0 {
		return errors.New("no secret")
	}
	for i, k := range keys {
		if len(k) < MinSecretBytes {
			return fmt.Errorf("secret %d is %d bytes; at least %d are required", i+1, len(k), MinSecretBytes)
		}
	}
	return nil
}

// DecodeStandardSecret decodes a Standard Webhooks secret: "whsec_" followed by standard
// base64 (the prefix is optional). The error never contains the secret.
func DecodeStandardSecret(secret string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimSpace(secret), "whsec_")
	if s == "" {
		return nil, errors.New("webhook: the secret is empty")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("webhook: a Standard Webhooks secret must be whsec_ followed by standard base64")
	}
	return b, nil
}

// Encoding is how a generic HMAC signature is written.
type Encoding string

// The encodings.
const (
	EncodingHex    Encoding = "hex"
	EncodingBase64 Encoding = "base64"
)

// HMAC verifies an HMAC-SHA256 of the raw body carried in one header, optionally after a
// fixed prefix such as "sha256=". It has no timestamp, so it cannot refuse replays.
type HMAC struct {
	header   string
	prefix   string
	encoding Encoding
	keys     [][]byte
}

// NewHMAC returns a verifier for the signature in header, written with prefix and encoding,
// that accepts a MAC under any of secrets (raw bytes of at least MinSecretBytes).
func NewHMAC(header, prefix string, enc Encoding, secrets ...[]byte) (*HMAC, error) {
	if header == "" {
		return nil, errors.New("webhook: hmac-sha256: a header name is required")
	}
	if strings.ContainsAny(header, " \t\r\n:") {
		return nil, fmt.Errorf("webhook: hmac-sha256: %q is not a header name", header)
	}
	if enc != EncodingHex && enc != EncodingBase64 {
		return nil, fmt.Errorf("webhook: hmac-sha256: encoding must be hex or base64, got %q", enc)
	}
	if err := checkKeys(secrets); err != nil {
		return nil, fmt.Errorf("webhook: hmac-sha256: %w", err)
	}
	return &HMAC{header: http.CanonicalHeaderKey(header), prefix: prefix, encoding: enc, keys: secrets}, nil
}

// NewGitHub returns a verifier of GitHub's X-Hub-Signature-256 ("sha256=" and the lower-case
// hex HMAC-SHA256 of the body) that accepts a MAC under any of secrets.
func NewGitHub(secrets ...[]byte) (*HMAC, error) {
	if err := checkKeys(secrets); err != nil {
		return nil, fmt.Errorf("webhook: github: %w", err)
	}
	return &HMAC{header: HeaderGitHubSignature, prefix: "sha256=", encoding: EncodingHex, keys: secrets}, nil
}

// Header is the name of the header the verifier reads.
func (v *HMAC) Header() string { return v.header }

// Verify implements Verifier.
func (v *HMAC) Verify(h http.Header, body []byte, _ time.Time) error {
	vals := h.Values(v.header)
	if len(vals) == 0 || vals[0] == "" {
		return missing(v.header)
	}
	if len(vals) > 1 {
		return malformed(v.header, "it appears more than once")
	}
	sig, err := ParseHMACSignature(vals[0], v.prefix, v.encoding)
	if err != nil {
		return malformed(v.header, err.Error())
	}
	if !anyKeyMatches(v.keys, sig, body) {
		return invalid()
	}
	return nil
}

// ParseHMACSignature decodes a signature header value: prefix, then a 32-byte MAC in enc
// (hex in either case; standard or URL-safe base64, padded or not).
func ParseHMACSignature(value, prefix string, enc Encoding) ([]byte, error) {
	if len(value) > maxSignatureHeader {
		return nil, errors.New("it is too long")
	}
	value = strings.TrimSpace(value)
	if prefix != "" {
		if len(value) < len(prefix) || !strings.EqualFold(value[:len(prefix)], prefix) {
			return nil, fmt.Errorf("it must start with %q", prefix)
		}
		value = value[len(prefix):]
	}
	var sig []byte
	var err error
	switch enc {
	case EncodingHex:
		sig, err = hex.DecodeString(value)
		if err != nil {
			return nil, errors.New("the signature is not hex")
		}
	case EncodingBase64:
		sig, err = decodeBase64(value)
		if err != nil {
			return nil, errors.New("the signature is not base64")
		}
	default:
		return nil, fmt.Errorf("unknown encoding %q", enc)
	}
	if len(sig) != sha256.Size {
		return nil, fmt.Errorf("the signature is %d bytes, not %d", len(sig), sha256.Size)
	}
	return sig, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}
