package envread

import (
	"math"
	"strings"
)

// Design note: the name checks below were regular expressions. They are hand-written
// because package regexp (with the Unicode tables regexp/syntax keeps alive) was the only
// reason every route binary linked it: ~100 KB of each stripped binary for nine
// one-line patterns (issue 11, binary size). Each matcher keeps its pattern as its
// documentation, and FuzzMatchers checks it against regexp.MustCompile(pattern) on
// arbitrary input.

// Matcher is a compiled name check with regexp.Regexp's MatchString method, so call sites
// read as they did.
type Matcher struct {
	pattern string // the regular expression it implements, anchored
	match   func(string) bool
}

// MatchString reports whether s matches the pattern.
func (m Matcher) MatchString(s string) bool { return m.match(s) }

// span reports whether s has between lo and hi bytes, each of them in the set. The sets
// are ASCII, so bytes and runes coincide for every accepted string.
func span(s string, lo, hi int, in func(c byte) bool) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !in(s[i]) {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool { return isLower(c) || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' }

func isLowerAlnum(c byte) bool { return isLower(c) || isDigit(c) }

const many = math.MaxInt

// hexRuns matches s against runs of lower-case hex digits of the given lengths separated
// by '-'.
func hexRuns(s string, lens ...int) bool {
	for i, n := range lens {
		if i > 0 {
			if s == "" || s[0] != '-' {
				return false
			}
			s = s[1:]
		}
		if len(s) < n || !span(s[:n], n, n, isHex) {
			return false
		}
		s = s[n:]
	}
	return s == ""
}

// dnsLabels matches one or more '.'-separated labels of [a-z0-9-], each starting and
// ending with [a-z0-9], with at least min labels.
func dnsLabels(s string, min int) bool {
	labels := strings.Split(s, ".")
	if len(labels) < min {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' ||
			!span(l, 1, many, func(c byte) bool { return isLowerAlnum(c) || c == '-' }) {
			return false
		}
	}
	return true
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+.^_`|~-", c) >= 0
}

// The name checks of the sections, each named for what it accepts.
var (
	GUID = Matcher{`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
		func(s string) bool { return hexRuns(s, 8, 4, 4, 4, 12) }}

	OAuthExtKey   = Matcher{`^[A-Za-z]+$`, func(s string) bool { return span(s, 1, many, isAlpha) }}
	OAuthExtValue = Matcher{`^[\x21-\x7E \t\r\n]+$`, func(s string) bool {
		return span(s, 1, many, func(c byte) bool { return c >= 0x21 && c <= 0x7e || c == ' ' || c == '\t' || c == '\r' || c == '\n' })
	}}

	TenantName = Matcher{`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`,
		func(s string) bool { return dnsLabels(s, 2) }}
	Region = Matcher{`^[a-z0-9]+$`, func(s string) bool { return span(s, 1, many, isLowerAlnum) }}

	SourceName = Matcher{`^[A-Za-z0-9_-]{1,64}$`,
		func(s string) bool {
			return span(s, 1, 64, func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' })
		}}
	TopicPattern = Matcher{`^(\*|[A-Za-z0-9._-]{1,249}\*?)$`, func(s string) bool {
		if s == "*" {
			return true
		}
		s = strings.TrimSuffix(s, "*")
		return span(s, 1, 249, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' })
	}}
	HeaderName = Matcher{"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$", func(s string) bool { return span(s, 1, 128, isTokenChar) }}
	QueryName  = Matcher{`^[A-Za-z0-9._~-]{1,128}$`,
		func(s string) bool {
			return span(s, 1, 128, func(c byte) bool { return isAlnum(c) || strings.IndexByte("._~-", c) >= 0 })
		}}
)

// matchers lists every matcher, for the tests.
var matchers = map[string]Matcher{
	"guid": GUID, "OAuthExtKey": OAuthExtKey, "OAuthExtValue": OAuthExtValue,
	"tenantName": TenantName, "region": Region, "sourceName": SourceName,
	"topicPattern": TopicPattern, "headerName": HeaderName, "queryName": QueryName,
}

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 hex form (any case).
func IsGUID(s string) bool { return GUID.MatchString(strings.ToLower(s)) }
