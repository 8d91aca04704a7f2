package webhook_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/webhook"
)

func FuzzParseStandardSignatures(f *testing.F) {
	for _, s := range []string{
		"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
		"v1,abc= v1a,def= v2,ghi",
		"", " ", "v1,", ",sig", "v1", "v1,%%%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		entries, err := webhook.ParseStandardSignatures(header)
		if err != nil {
			return
		}
		if len(entries) == 0 {
			t.Fatal("no error and no entries")
		}
		for _, e := range entries {
			if e.Version == "" || (e.Version == "v1") != (len(e.Signature) > 0) {
				t.Fatalf("empty entry %+v from %q", e, header)
			}
		}
	})
}

func FuzzParseHMACSignature(f *testing.F) {
	f.Add("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "sha256=", true)
	f.Add("dXNlIGEgMzItYnl0ZSBzaWduYXR1cmUgaGVyZSBwbGVhc2U=", "", false)
	f.Add("sha256=", "sha256=", true)
	f.Add("", "", false)
	f.Fuzz(func(t *testing.T, value, prefix string, useHex bool) {
		enc := webhook.EncodingBase64
		if useHex {
			enc = webhook.EncodingHex
		}
		sig, err := webhook.ParseHMACSignature(value, prefix, enc)
		if err == nil && len(sig) != 32 {
			t.Fatalf("accepted a %d-byte signature from %q", len(sig), value)
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"1760000000", "0", "-1", "01", "+1", "9223372036854775807", "1e9", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := webhook.ParseTimestamp(s)
		if err != nil {
			return
		}
		if got := strconv.FormatInt(ts.Unix(), 10); got != s {
			t.Fatalf("ParseTimestamp(%q) = %s: not canonical", s, got)
		}
	})
}

// FuzzStandardRoundTrip checks that what Signer signs, Standard verifies, and that any
// change to the body is refused; arbitrary signature headers never panic.
func FuzzStandardRoundTrip(f *testing.F) {
	f.Add("msg_1", []byte(`{"a":1}`), "v1,abc=")
	f.Add("", []byte{}, "")
	f.Add("id with spaces.and.dots", []byte{0, 1, 2}, "v1,"+string(make([]byte, 100)))
	s, err := webhook.NewSigner(stdSecret)
	if err != nil {
		f.Fatal(err)
	}
	v, err := webhook.NewStandard(stdSecret)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_760_000_000, 0)
	f.Fuzz(func(t *testing.T, id string, body []byte, sigHeader string) {
		h := s.Sign(id, now, body)
		err := v.Verify(h, body, now)
		valid := id != ""
		if valid && err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		if err == nil {
			tampered := append(bytes.Clone(body), 'x')
			if v.Verify(h, tampered, now) == nil {
				t.Fatal("tampered body accepted")
			}
		}
		h.Set("webhook-signature", sigHeader)
		_ = v.Verify(h, body, now)
	})
}
