package consumewindow

import (
	"encoding/base64"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/kafkafn/kafkafn/shared/broker"
)

// streamChunk is how much encoded answer is gathered before it is written out.
const streamChunk = 32 << 10

// writeRecords writes the JSON array of msgs as ConsumeRecords to w, byte for byte what
// encoding/json writes for ToRecord's results with HTML escaping off, without reflection
// (encoding large windows was the consume route's largest cost, docs/performance.md) and
// without holding the answer: records are encoded one at a time into one reused buffer and
// written out every streamChunk bytes, so a 6 MB window is held once (the messages), not
// three times (messages, record strings, encoded body). head is written first, and tail
// appends what follows the array.
func writeRecords(w io.Writer, head string, topic string, msgs []broker.Message, forceBase64 bool, tail func([]byte) []byte) error {
	b := make([]byte, 0, streamChunk+streamChunk/4)
	b = append(b, head...)
	b = append(b, '[')
	for i := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, topic, &msgs[i], forceBase64)
		if len(b) >= streamChunk {
			if _, err := w.Write(b); err != nil {
				return err
			}
			if cap(b) > 4*streamChunk {
				b = make([]byte, 0, streamChunk+streamChunk/4) // after a large record
			} else {
				b = b[:0]
			}
		}
	}
	b = append(b, ']')
	if tail != nil {
		b = tail(b)
	}
	_, err := w.Write(b)
	return err
}

// appendMessage appends m as the JSON of ToRecord(topic, m, forceBase64).
func appendMessage(b []byte, topic string, m *broker.Message, forceBase64 bool) []byte {
	b = append(b, `{"topic":`...)
	b = appendString(b, topic)
	b = append(b, `,"key":`...)
	b, enc := appendText(b, m.Key, forceBase64)
	if enc {
		b = append(b, `,"keyEncoding":"base64"`...)
	}
	b = append(b, `,"value":`...)
	b, enc = appendText(b, m.Value, forceBase64)
	if enc {
		b = append(b, `,"valueEncoding":"base64"`...)
	}
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(m.Partition), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, m.Offset, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, m.Time.UnixMilli(), 10)
	if m.LogAppendTime {
		b = append(b, `,"timestampType":"LogAppendTime"`...)
	} else {
		b = append(b, `,"timestampType":"CreateTime"`...)
	}
	b = append(b, `,"headers":[`...)
	for i, h := range m.Headers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendString(b, h.Key)
		b = append(b, `,"value":`...)
		if h.Value == nil {
			b = append(b, `""`...)
		} else if b, enc = appendText(b, h.Value, forceBase64); enc {
			b = append(b, `,"valueEncoding":"base64"`...)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendText appends data as ToRecord shows it: null, a JSON string of valid UTF-8, or
// standard base64 (encoded true).
func appendText(b []byte, data []byte, forceBase64 bool) ([]byte, bool) {
	switch {
	case data == nil:
		return append(b, "null"...), false
	case !forceBase64 && utf8.Valid(data):
		return appendString(b, string(data)), false
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, data)
	return append(b, '"'), true
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
