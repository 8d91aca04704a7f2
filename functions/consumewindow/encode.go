package consumewindow

import (
	"strconv"
	"unicode/utf8"
)

// appendResponse appends {"records":[…]} followed by a newline, byte for byte what
// encoding/json writes for a ConsumeResponse with HTML escaping off, without reflection:
// encoding large windows was the consume route's largest cost (docs/performance.md).
func appendResponse(b []byte, recs []ConsumeRecord) []byte {
	b = append(b, `{"records":[`...)
	for i := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = recs[i].appendJSON(b)
	}
	return append(b, "]}\n"...)
}

func (r *ConsumeRecord) appendJSON(b []byte) []byte {
	b = append(b, `{"topic":`...)
	b = appendString(b, r.Topic)
	b = append(b, `,"key":`...)
	b = appendNullable(b, r.Key)
	if r.KeyEncoding != "" {
		b = append(b, `,"keyEncoding":`...)
		b = appendString(b, r.KeyEncoding)
	}
	b = append(b, `,"value":`...)
	b = appendNullable(b, r.Value)
	if r.ValueEncoding != "" {
		b = append(b, `,"valueEncoding":`...)
		b = appendString(b, r.ValueEncoding)
	}
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(r.Partition), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, r.Offset, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, r.Timestamp, 10)
	b = append(b, `,"timestampType":`...)
	b = appendString(b, r.TimestampType)
	b = append(b, `,"headers":`...)
	if r.Headers == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, h := range r.Headers {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":`...)
			b = appendString(b, h.Key)
			b = append(b, `,"value":`...)
			b = appendString(b, h.Value)
			if h.ValueEncoding != "" {
				b = append(b, `,"valueEncoding":`...)
				b = appendString(b, h.ValueEncoding)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendNullable(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with HTML escaping off:
// quote, backslash and control characters escaped, U+2028 and U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
