package broker

// b64token is RFC 6750's bearer token syntax, b64token = 1*( ALPHA / DIGIT / "-" / "." /
// "_" / "~" / "+" / "/" ) *"=", as the regular expression b64tokenPattern; anything else
// could break the OAUTHBEARER message framing.
//
// Design note: hand-written rather than regexp.MustCompile(b64tokenPattern) because this
// was, with shared/config's name checks, the only use of package regexp in the route
// binaries (~100 KB of each, issue 11). TestB64Token and FuzzB64Token compare it with the
// regular expression.
var b64token = b64tokenMatcher{}

const b64tokenPattern = `^[-A-Za-z0-9._~+/]+=*$`

type b64tokenMatcher struct{}

// MatchString reports whether s is a b64token.
func (b64tokenMatcher) MatchString(s string) bool {
	n := len(s)
	for n > 0 && s[n-1] == '=' {
		n--
	}
	if n == 0 {
		return false
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}
