package webhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard verifies Standard Webhooks deliveries: the signature is
// base64(HMAC-SHA256(key, webhook-id "." webhook-timestamp "." body)), sent as one or more
// space-separated "v1,<base64>" entries in webhook-signature; webhook-timestamp (Unix
// seconds) must be within the tolerance of the receiver's clock. Entries of other versions
// (such as the asymmetric v1a) are ignored.
type Standard struct {
	keys      [][]byte
	tolerance time.Duration
}

// NewStandard returns a Standard Webhooks verifier that accepts a signature under any of
// secrets ("whsec_<base64>"), with the DefaultTolerance.
func NewStandard(secrets ...string) (*Standard, error) {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		k, err := DecodeStandardSecret(s)
		if err != nil {
			return nil, fmt.Errorf("webhook: standard: secret %d: %w", i+1, err)
		}
		keys[i] = k
	}
	if err := checkKeys(keys); err != nil {
		return nil, fmt.Errorf("webhook: standard: %w", err)
	}
	return &Standard{keys: keys, tolerance: DefaultTolerance}, nil
}

// Verify implements Verifier.
func (v *Standard) Verify(h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	switch {
	case id == "":
		return missing(HeaderWebhookID)
	case ts == "":
		return missing(HeaderWebhookTimestamp)
	case sigs == "":
		return missing(HeaderWebhookSignature)
	}
	sent, err := ParseTimestamp(ts)
	if err != nil {
		return malformed(HeaderWebhookTimestamp, err.Error())
	}
	if d := now.Sub(sent); d > v.tolerance || d < -v.tolerance {
		return errorStale(v.tolerance)
	}
	entries, err := ParseStandardSignatures(sigs)
	if err != nil {
		return malformed(HeaderWebhookSignature, err.Error())
	}
	ok := false
	for _, e := range entries {
		if e.Version != "v1" {
			continue
		}
		if anyKeyMatches(v.keys, e.Signature, []byte(id), []byte("."), []byte(ts), []byte("."), body) {
			ok = true
		}
	}
	if !ok {
		return invalid()
	}
	return nil
}

func errorStale(tolerance time.Duration) error {
	return wrapUnauthorized("stale_timestamp",
		"the webhook timestamp is more than "+tolerance.String()+" away from the receiver's clock", ErrStaleTimestamp)
}

// ParseTimestamp parses webhook-timestamp: Unix seconds in canonical decimal (no sign, no
// leading zeros), since the signature covers the header text as sent.
func ParseTimestamp(s string) (time.Time, error) {
	if len(s) == 0 || len(s) > 19 {
		return time.Time{}, errors.New("it must be Unix seconds")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return time.Time{}, errors.New("it must be Unix seconds")
	}
	return time.Unix(n, 0), nil
}

// SignatureEntry is one entry of a webhook-signature header.
type SignatureEntry struct {
	Version   string // "v1" for HMAC-SHA256; others are carried but not verified
	Signature []byte // the decoded v1 signature; nil for other versions
}

// ParseStandardSignatures parses a webhook-signature header: space-separated entries of the
// form "<version>,<signature>". A v1 entry whose signature is not base64 is an error; the
// signatures of other versions are not decoded (the spec has receivers skip versions they
// do not know, whatever their encoding). An empty header, too many entries, or a header
// over 8 KiB is an error too.
func ParseStandardSignatures(header string) ([]SignatureEntry, error) {
	if len(header) > maxSignatureHeader {
		return nil, errors.New("it is too long")
	}
	fields := strings.Fields(header)
	if len(fields) == 0 {
		return nil, errors.New("it holds no signature")
	}
	if len(fields) > maxSignatures {
		return nil, fmt.Errorf("it holds more than %d signatures", maxSignatures)
	}
	out := make([]SignatureEntry, 0, len(fields))
	for i, f := range fields {
		version, sig, ok := strings.Cut(f, ",")
		if !ok || version == "" || sig == "" {
			return nil, fmt.Errorf("entry %d is not <version>,<signature>", i+1)
		}
		if version != "v1" {
			out = append(out, SignatureEntry{Version: version})
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			return nil, fmt.Errorf("entry %d: the signature is not base64", i+1)
		}
		out = append(out, SignatureEntry{Version: version, Signature: b})
	}
	return out, nil
}

// Signer signs outgoing deliveries with the Standard Webhooks scheme. It is safe for
// concurrent use.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for secret ("whsec_<base64>", at least MinSecretBytes decoded).
func NewSigner(secret string) (*Signer, error) {
	k, err := DecodeStandardSecret(secret)
	if err != nil {
		return nil, err
	}
	if err := checkKeys([][]byte{k}); err != nil {
		return nil, fmt.Errorf("webhook: signer: %w", err)
	}
	return &Signer{key: k}, nil
}

// Signature returns the webhook-signature value "v1,<base64>" for one delivery.
func (s *Signer) Signature(id string, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	sum := mac(s.key, []byte(id), []byte("."), []byte(t), []byte("."), body)
	return "v1," + base64.StdEncoding.EncodeToString(sum)
}

// Sign returns the three Standard Webhooks headers (webhook-id, webhook-timestamp,
// webhook-signature) for one delivery. id must be unique per message and reused on retries.
func (s *Signer) Sign(id string, ts time.Time, body []byte) http.Header {
	h := make(http.Header, 3)
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderWebhookSignature, s.Signature(id, ts, body))
	return h
}
