package bearer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"", "Bearer", "Bearer ", "bearer abc.def.ghi", "Bearer  a.b.c  ", "Basic dXNlcjpwYXNz",
		"Bearer a b", "Bearer a$b", "BEARER eyJhbGciOiJSUzI1NiJ9.e30.c2ln", " Bearer x", "Bearer\tx",
		"TC3-HMAC-SHA256 Credential=AKID/2026-11-22/ckafka/tc3_request, SignedHeaders=content-type;host, Signature=00",
	} {
		f.Add(s, "")
	}
	f.Add("Bearer a.b.c", "Bearer a.b.c")
	f.Add("Bearer "+strings.Repeat("a", bearer.MaxTokenBytes+1), "")
	f.Fuzz(func(t *testing.T, h1, h2 string) {
		values := []string{h1}
		if h2 != "" {
			values = append(values, h2)
		}
		tok, err := bearer.ParseAuthorization(values)
		if err != nil {
			if tok != "" {
				t.Fatalf("token %q returned with error %v", tok, err)
			}
			if !errors.Is(err, auth.ErrNoCredentials) && apierr.CodeOf(err) != "invalid_request" {
				t.Fatalf("unexpected error %v (code %s)", err, apierr.CodeOf(err))
			}
			if strings.Contains(err.Error(), h1) && len(h1) > 8 {
				t.Fatalf("error echoes the header: %v", err)
			}
			return
		}
		if tok == "" || len(tok) > bearer.MaxTokenBytes {
			t.Fatalf("bad token length %d", len(tok))
		}
		if strings.Trim(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
			t.Fatalf("token %q has characters outside base64url", tok)
		}
		if !strings.Contains(h1, tok) {
			t.Fatalf("token %q is not from the header %q", tok, h1)
		}
	})
}
