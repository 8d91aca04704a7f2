package buffered

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// appendUnquote appends the text of the JSON string literal raw (quotes included) to dst, as
// jsontext.AppendUnquote does with its default options; ok is false where that fails: invalid
// UTF-8, an unpaired surrogate escape, a bad escape, or a raw quote or control character.
//
// Design note: the body of an API Gateway event carries the route's JSON with every quote
// escaped, so escapes come every few bytes or every kilobyte, between runs of plain text. The
// runs are found with bytes.IndexByte and checked with utf8.Valid (both eight or more bytes
// at a time for ASCII) and copied whole; jsontext's unquote goes byte by byte.
func appendUnquote(dst, raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return dst, false
	}
	s := raw[1 : len(raw)-1]
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			i = len(s)
		}
		run := s[:i]
		if !utf8.Valid(run) || needsEscape(run) {
			return dst, false
		}
		dst = append(dst, run...)
		s = s[i:]
		if len(s) == 0 {
			break
		}
		// An escape.
		if len(s) < 2 {
			return dst, false
		}
		switch c := s[1]; c {
		case '"', '\\', '/':
			dst, s = append(dst, c), s[2:]
		case 'b':
			dst, s = append(dst, '\b'), s[2:]
		case 'f':
			dst, s = append(dst, '\f'), s[2:]
		case 'n':
			dst, s = append(dst, '\n'), s[2:]
		case 'r':
			dst, s = append(dst, '\r'), s[2:]
		case 't':
			dst, s = append(dst, '\t'), s[2:]
		case 'u':
			r, ok := hex4(s[2:])
			if !ok {
				return dst, false
			}
			s = s[6:]
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
					return dst, false // a low half first, or a high half alone
				}
				lo, ok := hex4(s[2:])
				if !ok {
					return dst, false
				}
				if r = utf16.DecodeRune(r, lo); r == utf8.RuneError {
					return dst, false
				}
				s = s[6:]
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

// needsEscape reports a byte below 0x20 or a quote, which a JSON string must escape; eight
// bytes at a time (for y = x or x^'"' in every byte, y-0x01 or x-0x20 in a byte sets its high
// bit when the byte is below 0x01 or 0x20, or borrows from a lower byte that is, and a byte
// with its own high bit set is masked out by ^y).
func needsEscape(b []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		q := x ^ lo*'"'
		if ((x-lo*0x20)&^x|(q-lo)&^q)&hi != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c == '"' {
			return true
		}
	}
	return false
}

// hex4 reads the four hex digits at the start of h.
func hex4(h []byte) (rune, bool) {
	if len(h) < 4 {
		return 0, false
	}
	var v rune
	for _, c := range h[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}
