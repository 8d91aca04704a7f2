package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/webhook"
	"github.com/kafkafn/kafkafn/shared/webhook/webhooktest"
)

// Secrets used across the tests. The Standard Webhooks one is the library's own test secret.
const (
	stdSecret      = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	stdOtherSecret = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk="
)

func TestStandardVerify(t *testing.T) {
	now := time.Unix(1_760_000_000, 0)
	body := []byte(`{"type":"invoice.paid","data":{"id":"in_1"}}`)
	v, err := webhook.NewStandard(stdSecret)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := webhook.NewStandard(stdOtherSecret, stdSecret)
	if err != nil {
		t.Fatal(err)
	}
	good := func() http.Header { return webhooktest.Sign(t, stdSecret, "msg_1", now, body) }
	// with is good's header changed by edit.
	with := func(edit func(h http.Header)) func() http.Header {
		return func() http.Header {
			h := good()
			edit(h)
			return h
		}
	}
	tests := []struct {
		name     string
		verifier *webhook.Standard
		header   func() http.Header
		body     []byte
		now      time.Time
		want     error // nil, or the cause
		code     string
	}{
		{name: "a library-signed delivery verifies", verifier: v, header: good, body: body, now: now},
		{name: "a delivery 4 minutes old verifies", verifier: v, header: good, body: body, now: now.Add(4 * time.Minute)},
		{name: "a delivery from 4 minutes in the future verifies", verifier: v, header: good, body: body, now: now.Add(-4 * time.Minute)},
		{name: "a rotated verifier accepts the old secret", verifier: rotated, header: good, body: body, now: now},
		{name: "one valid signature among several verifies", verifier: v, body: body, now: now, header: with(func(h http.Header) {
			other := webhooktest.Sign(t, stdOtherSecret, "msg_1", now, body)
			h.Set("webhook-signature", other.Get("webhook-signature")+" v1a,bm90IGVkMjU1MTk= "+h.Get("webhook-signature"))
		})},
		{name: "an entry of another version with a non-base64 signature is skipped, the valid v1 entry verifies", verifier: v, body: body, now: now,
			header: with(func(h http.Header) {
				h.Set("webhook-signature", "v2,xyz "+h.Get("webhook-signature"))
			})},
		{name: "only an entry of another version is not a match", verifier: v, body: body, now: now, want: webhook.ErrInvalidSignature, code: "invalid_signature",
			header: with(func(h http.Header) { h.Set("webhook-signature", "v2,xyz") })},
		{name: "a v1 entry that is not base64 is malformed", verifier: v, body: body, now: now, want: webhook.ErrMalformedSignature, code: "malformed_signature",
			header: with(func(h http.Header) {
				h.Set("webhook-signature", "v1,%%% "+h.Get("webhook-signature"))
			})},
		{name: "a tampered body is refused", verifier: v, header: good, body: []byte(`{"type":"invoice.paid","data":{"id":"in_2"}}`),
			now: now, want: webhook.ErrInvalidSignature, code: "invalid_signature"},
		{name: "a tampered id is refused", verifier: v, body: body, now: now, want: webhook.ErrInvalidSignature, code: "invalid_signature",
			header: with(func(h http.Header) { h.Set("webhook-id", "msg_2") })},
		{name: "a wrong secret is refused", verifier: v, body: body, now: now, want: webhook.ErrInvalidSignature, code: "invalid_signature",
			header: func() http.Header { return webhooktest.Sign(t, stdOtherSecret, "msg_1", now, body) }},
		{name: "a timestamp 6 minutes old is refused", verifier: v, header: good, body: body, now: now.Add(6 * time.Minute),
			want: webhook.ErrStaleTimestamp, code: "stale_timestamp"},
		{name: "a timestamp 6 minutes in the future is refused", verifier: v, header: good, body: body, now: now.Add(-6 * time.Minute),
			want: webhook.ErrStaleTimestamp, code: "stale_timestamp"},
		{name: "a missing webhook-id is refused", verifier: v, body: body, now: now, want: webhook.ErrMissingSignature, code: "missing_signature",
			header: with(func(h http.Header) { h.Del("webhook-id") })},
		{name: "a missing webhook-timestamp is refused", verifier: v, body: body, now: now, want: webhook.ErrMissingSignature, code: "missing_signature",
			header: with(func(h http.Header) { h.Del("webhook-timestamp") })},
		{name: "a missing webhook-signature is refused", verifier: v, body: body, now: now, want: webhook.ErrMissingSignature, code: "missing_signature",
			header: with(func(h http.Header) { h.Del("webhook-signature") })},
		{name: "a timestamp with a leading zero is malformed", verifier: v, body: body, now: now, want: webhook.ErrMalformedSignature, code: "malformed_signature",
			header: with(func(h http.Header) { h.Set("webhook-timestamp", "0"+h.Get("webhook-timestamp")) })},
		{name: "a timestamp in milliseconds is stale", verifier: v, body: body, now: now, want: webhook.ErrStaleTimestamp, code: "stale_timestamp",
			header: with(func(h http.Header) {
				h.Set("webhook-timestamp", h.Get("webhook-timestamp")+"000")
			})},
		{name: "an entry without a version is malformed", verifier: v, body: body, now: now, want: webhook.ErrMalformedSignature, code: "malformed_signature",
			header: with(func(h http.Header) { h.Set("webhook-signature", "c2lnbmF0dXJl") })},
		{name: "only a v1a entry is not a match", verifier: v, body: body, now: now, want: webhook.ErrInvalidSignature, code: "invalid_signature",
			header: with(func(h http.Header) {
				h.Set("webhook-signature", "v1a,"+strings.TrimPrefix(h.Get("webhook-signature"), "v1,"))
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.verifier.Verify(tt.header(), tt.body, tt.now)
			checkErr(t, err, tt.want, tt.code)
		})
	}
}

func checkErr(t *testing.T, err, want error, code string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("Verify error = %v, want %v", err, want)
	}
	if k := apierr.KindOf(err); k != apierr.Unauthorized {
		t.Errorf("kind = %v, want unauthorized", k)
	}
	if c := apierr.CodeOf(err); c != code {
		t.Errorf("code = %q, want %q", c, code)
	}
}

func TestSignerMatchesLibrary(t *testing.T) {
	s, err := webhook.NewSigner(stdSecret)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(stdSecret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now()
	for _, body := range [][]byte{nil, []byte("{}"), []byte(`{"records":[{"offset":1}]}`), []byte("not json \x00\xff")} {
		h := s.Sign("msg_"+strconv.Itoa(len(body)), ts, body)
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("library refused our signature for %q: %v", body, err)
		}
		want, _ := wh.Sign(h.Get("webhook-id"), ts, body)
		if got := h.Get("webhook-signature"); got != want {
			t.Errorf("signature = %q, library says %q", got, want)
		}
	}
}

func TestGitHubVerify(t *testing.T) {
	// The example from docs.github.com, "Validating webhook deliveries".
	const (
		secret  = "It's a Secret to Everybody"
		payload = "Hello, World!"
		sig     = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	)
	v, err := webhook.NewGitHub([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(vals ...string) http.Header {
		h := http.Header{}
		for _, s := range vals {
			h.Add("X-Hub-Signature-256", s)
		}
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		body   string
		want   error
		code   string
	}{
		{name: "GitHub's documented example verifies", header: hdr(sig), body: payload},
		{name: "upper-case hex verifies", header: hdr("sha256=" + strings.ToUpper(sig[7:])), body: payload},
		{name: "a tampered body is refused", header: hdr(sig), body: "Hello, World?", want: webhook.ErrInvalidSignature, code: "invalid_signature"},
		{name: "a missing header is refused", header: hdr(), body: payload, want: webhook.ErrMissingSignature, code: "missing_signature"},
		{name: "a sha1 prefix is malformed", header: hdr("sha1=" + sig[7:]), body: payload, want: webhook.ErrMalformedSignature, code: "malformed_signature"},
		{name: "a short signature is malformed", header: hdr(sig[:40]), body: payload, want: webhook.ErrMalformedSignature, code: "malformed_signature"},
		{name: "a repeated header is malformed", header: hdr(sig, sig), body: payload, want: webhook.ErrMalformedSignature, code: "malformed_signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, v.Verify(tt.header, []byte(tt.body), time.Now()), tt.want, tt.code)
		})
	}
}

func TestHMACVerify(t *testing.T) {
	secret := []byte("a generic shared secret, 40 bytes long..")
	body := []byte(`{"order":42}`)
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	sum := m.Sum(nil)
	tests := []struct {
		name   string
		prefix string
		enc    webhook.Encoding
		value  string
		want   error
		code   string
	}{
		{name: "hex verifies", enc: webhook.EncodingHex, value: hex.EncodeToString(sum)},
		{name: "base64 verifies", enc: webhook.EncodingBase64, value: base64.StdEncoding.EncodeToString(sum)},
		{name: "unpadded URL-safe base64 verifies", enc: webhook.EncodingBase64, value: base64.RawURLEncoding.EncodeToString(sum)},
		{name: "a prefix is accepted", prefix: "sha256=", enc: webhook.EncodingHex, value: "sha256=" + hex.EncodeToString(sum)},
		{name: "a missing prefix is malformed", prefix: "sha256=", enc: webhook.EncodingHex, value: hex.EncodeToString(sum),
			want: webhook.ErrMalformedSignature, code: "malformed_signature"},
		{name: "hex where base64 is expected is malformed", enc: webhook.EncodingBase64, value: hex.EncodeToString(sum),
			want: webhook.ErrMalformedSignature, code: "malformed_signature"},
		{name: "a MAC of another body is refused", enc: webhook.EncodingHex, value: hex.EncodeToString(sha256.New().Sum(nil)),
			want: webhook.ErrInvalidSignature, code: "invalid_signature"},
		{name: "an empty header is refused as missing", enc: webhook.EncodingHex, value: "",
			want: webhook.ErrMissingSignature, code: "missing_signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := webhook.NewHMAC("x-signature", tt.prefix, tt.enc, secret)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			h.Set("X-Signature", tt.value)
			checkErr(t, v.Verify(h, body, time.Now()), tt.want, tt.code)
		})
	}
}

func TestNewRejectsBadSecrets(t *testing.T) {
	tests := []struct {
		name string
		new  func() error
	}{
		{name: "a short Standard Webhooks secret", new: func() error { _, err := webhook.NewStandard("whsec_c2hvcnQ="); return err }},
		{name: "a Standard Webhooks secret that is not base64", new: func() error { _, err := webhook.NewStandard("whsec_not base64!"); return err }},
		{name: "no Standard Webhooks secret", new: func() error { _, err := webhook.NewStandard(); return err }},
		{name: "a short GitHub secret", new: func() error { _, err := webhook.NewGitHub([]byte("short")); return err }},
		{name: "an HMAC without header", new: func() error {
			_, err := webhook.NewHMAC("", "", webhook.EncodingHex, []byte("0123456789abcdef0123"))
			return err
		}},
		{name: "an HMAC with an unknown encoding", new: func() error {
			_, err := webhook.NewHMAC("X-Sig", "", "base32", []byte("0123456789abcdef0123"))
			return err
		}},
		{name: "a signer with a short secret", new: func() error { _, err := webhook.NewSigner("whsec_c2hvcnQ="); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.new()
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "c2hvcnQ") || strings.Contains(err.Error(), "not base64!") {
				t.Errorf("error echoes the secret: %v", err)
			}
		})
	}
}

func BenchmarkStandardVerify(b *testing.B) {
	s, _ := webhook.NewSigner(stdSecret)
	v, _ := webhook.NewStandard(stdSecret)
	body := []byte(strings.Repeat("x", 4096))
	now := time.Now()
	h := s.Sign("msg_1", now, body)
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, body, now); err != nil {
			b.Fatal(err)
		}
	}
}
