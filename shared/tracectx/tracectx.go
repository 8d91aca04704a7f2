// Package tracectx validates the W3C Trace Context request headers (traceparent and
// tracestate, https://www.w3.org/TR/trace-context/) so kafkafn can copy them, unchanged, into
// the Kafka records it produces, as OpenTelemetry's messaging instrumentations do: a trace
// started by the HTTP caller then crosses Kafka to whoever consumes the record.
//
// kafkafn does not create spans, so it never generates a traceparent; it only forwards a
// valid one. The parser is hand-written because the only library that does this
// (go.opentelemetry.io/otel's propagation package) would pull the OpenTelemetry API into
// every per-route binary for two header checks.
package tracectx

import "strings"

// Header names: lower case, as the specification asks senders to use. The record headers
// carry the same names.
const (
	TraceParentHeader = "traceparent"
	TraceStateHeader  = "tracestate"
	// XRayHeader is the AWS X-Ray trace header, as an HTTP and a Kafka record header.
	XRayHeader = "X-Amzn-Trace-Id"
)

// Limits from the specification: a tracestate has at most 32 list members, and at least
// 512 characters of it must be propagated; kafkafn keeps at most 512 (dropping whole members
// from the end), so a record never carries an unbounded header from a caller.
const (
	maxStateMembers = 32
	maxStateLen     = 512
	maxXRayLen      = 256
)

// ParseTraceParent reports whether v is a valid traceparent value and returns the value to
// forward. Version 00 must be exactly 55 characters and is forwarded as it came. A higher
// version (not ff) is parsed with the version 00 layout, may carry more fields after a "-",
// and is forwarded as the version 00 value of its trace-id, parent-id and flags, as the
// specification asks of a participant that does not know the version (and as OpenTelemetry's
// propagator does): fields kafkafn cannot validate never reach a record. All hex must be
// lower case; an all-zero trace-id or parent-id is invalid.
func ParseTraceParent(v string) (string, bool) {
	if len(v) < 55 {
		return "", false
	}
	if !isHex(v[0:2]) || v[0:2] == "ff" || v[2] != '-' || !isHex(v[3:35]) || v[35] != '-' ||
		!isHex(v[36:52]) || v[52] != '-' || !isHex(v[53:55]) {
		return "", false
	}
	if allZero(v[3:35]) || allZero(v[36:52]) {
		return "", false
	}
	if v[0:2] == "00" {
		if len(v) != 55 {
			return "", false
		}
		return v, true
	}
	// A future version: more fields may follow after a dash; they are not forwarded.
	if len(v) > 55 && v[55] != '-' {
		return "", false
	}
	return "00" + v[2:55], true
}

// ParseTraceState validates a tracestate value (several header lines already joined with
// ","). It returns the value to forward: empty members dropped, at most 32 members and 512
// characters (whole members dropped from the end), or false when a member is malformed or
// a key repeats; then no tracestate is forwarded.
func ParseTraceState(v string) (string, bool) {
	if len(v) > 8192 {
		return "", false
	}
	var b strings.Builder
	n := 0
	seen := make(map[string]struct{}, 4)
	for m := range strings.SplitSeq(v, ",") {
		m = strings.Trim(m, " \t")
		if m == "" {
			continue
		}
		key, val, ok := strings.Cut(m, "=")
		if !ok || !validKey(key) || !validValue(val) {
			return "", false
		}
		if _, dup := seen[key]; dup {
			return "", false
		}
		seen[key] = struct{}{}
		n++
		if n > maxStateMembers {
			return "", false
		}
		sep := 0
		if b.Len() > 0 {
			sep = 1
		}
		if b.Len()+sep+len(m) > maxStateLen {
			continue // dropped: kafkafn forwards at most 512 characters
		}
		if sep == 1 {
			b.WriteByte(',')
		}
		b.WriteString(m)
	}
	return b.String(), true
}

// ValidXRay reports whether v looks like an X-Ray trace header (Root=1-…;Parent=…;Sampled=…):
// bounded, printable ASCII without spaces, with a Root field.
func ValidXRay(v string) bool {
	if v == "" || len(v) > maxXRayLen || !strings.Contains(v, "Root=") {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// validKey: simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-"/ "*" / "/"), or a
// multi-tenant key tenant-id "@" system-id (tenant: lcalpha/DIGIT first, ≤ 241; system:
// lcalpha first, ≤ 14).
func validKey(k string) bool {
	if len(k) == 0 || len(k) > 256 {
		return false
	}
	tenant, system, multi := strings.Cut(k, "@")
	if !multi {
		return isLower(k[0]) && keyChars(k[1:])
	}
	if len(tenant) == 0 || len(tenant) > 241 || len(system) == 0 || len(system) > 14 {
		return false
	}
	return (isLower(tenant[0]) || isDigit(tenant[0])) && keyChars(tenant[1:]) &&
		isLower(system[0]) && keyChars(system[1:])
}

func keyChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLower(c) && !isDigit(c) && c != '_' && c != '-' && c != '*' && c != '/' {
			return false
		}
	}
	return true
}

// validValue: 0*255(chr) nblk-chr, chr = %x20 / nblk-chr, nblk-chr = %x21-2B / %x2D-3C / %x3E-7E.
func validValue(v string) bool {
	if len(v) == 0 || len(v) > 256 || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
