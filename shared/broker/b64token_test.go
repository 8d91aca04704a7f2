package broker

import (
	"regexp"
	"testing"
)

var b64tokenCases = []string{
	"", "=", "==", "a", "a=", "a==", "=a", "a=b", "eyJhbGciOi.eyJzdWIi.sig-_~+/", "a b", "a\x01", "a\n", "é", "a\xff=",
}

func TestB64Token(t *testing.T) {
	re := regexp.MustCompile(b64tokenPattern)
	for _, s := range b64tokenCases {
		if got, want := b64token.MatchString(s), re.MatchString(s); got != want {
			t.Errorf("b64token.MatchString(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

func FuzzB64Token(f *testing.F) {
	for _, s := range b64tokenCases {
		f.Add(s)
	}
	re := regexp.MustCompile(b64tokenPattern)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := b64token.MatchString(s), re.MatchString(s); got != want {
			t.Fatalf("b64token.MatchString(%q) = %v, regexp says %v", s, got, want)
		}
	})
}
