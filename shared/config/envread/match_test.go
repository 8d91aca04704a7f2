package envread

import (
	"regexp"
	"strings"
	"testing"
)

// matcherCases are inputs at the edges of every pattern; FuzzMatchers starts from them.
var matcherCases = []string{
	"", "*", "**", "a", "A", "-", "_", ".", "~", "a*", "*a", "a**", "a.b", "a..b", ".a", "a.", "a-b.c", "-a.b", "a-.b",
	"a.b-", "contoso.onmicrosoft.com", "Contoso.com", "ap-guangzhou", "apguangzhou", "x1", "x y", "x\ty", "x\n", "\n",
	"!#$%&'*+.^_`|~", "X-Signature", "X Signature", "é", "a\xff", "\xff", "ü.com",
	"0123abcd-0123-4567-89ab-0123456789ab", "0123ABCD-0123-4567-89AB-0123456789AB", "0123abcd-0123-4567-89ab-0123456789a",
	"0123abcd-0123-4567-89ab-0123456789abc", "0123abcd0123-4567-89ab-0123456789ab", "0123abcg-0123-4567-89ab-0123456789ab",
	strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("a", 128), strings.Repeat("a", 129),
	strings.Repeat("a", 249), strings.Repeat("a", 249) + "*", strings.Repeat("a", 250),
}

// TestMatchers checks every hand-written matcher against its regular expression.
func TestMatchers(t *testing.T) {
	for name, m := range matchers {
		re := regexp.MustCompile(m.pattern)
		for _, s := range matcherCases {
			if got, want := m.MatchString(s), re.MatchString(s); got != want {
				t.Errorf("%s.MatchString(%q) = %v, regexp %s says %v", name, s, got, m.pattern, want)
			}
		}
	}
}

func FuzzMatchers(f *testing.F) {
	for _, s := range matcherCases {
		f.Add(s)
	}
	res := map[string]*regexp.Regexp{}
	for name, m := range matchers {
		res[name] = regexp.MustCompile(m.pattern)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, m := range matchers {
			if got, want := m.MatchString(s), res[name].MatchString(s); got != want {
				t.Fatalf("%s.MatchString(%q) = %v, regexp %s says %v", name, s, got, m.pattern, want)
			}
		}
	})
}
