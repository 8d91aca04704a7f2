package tc3_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add(docAuthz)
	f.Add(strings.ReplaceAll(docAuthz, ", ", ","))
	f.Add("TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=" + docSig)
	f.Add("Bearer x")
	f.Add("TC3-HMAC-SHA256 ,,,=")
	v := docVerifierF(f)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := tc3.ParseAuthorization(s)
		if err != nil {
			if apierr.KindOf(err) != apierr.Unauthorized || apierr.CodeOf(err) != tc3.CodeInvalidAuthorization {
				t.Fatalf("unexpected error class: %v", err)
			}
			if len(s) > 64 && strings.Contains(err.Error(), s) {
				t.Fatalf("the error echoes the header")
			}
		} else if len(a.Signature) != 32 || a.SecretID == "" {
			t.Fatalf("accepted a header without a full signature or SecretId: %+v", a)
		}
		r := docRequest()
		r.Header.Set("Authorization", s)
		id, err := v.Verify(r, []byte(docBody))
		if err == nil && s != docAuthz && !strings.Contains(s, docSig) {
			t.Fatalf("Verify accepted %q as %q", s, id)
		}
	})
}

func docVerifierF(f *testing.F) *tc3.Verifier {
	v, err := tc3.NewVerifier("cvm", map[string][]string{docID: {docKey}},
		tc3.WithClock(func() time.Time { return time.Unix(docTS, 0) }))
	if err != nil {
		f.Fatal(err)
	}
	return v
}
