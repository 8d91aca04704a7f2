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
// without holding the answer: records are encoded into one small reused buffer, large
// values piece by piece, and written out every streamChunk bytes, so a 6 MB window is held
// once (the messages), not three times (messages, record strings, encoded body). head is
// written first, and tail appends what follows the array.
func writeRecords(w io.Writer, head string, topic string, msgs []broker.Message, forceBase64 bool, tail func([]byte) []byte) error {
	s := &recordWriter{w: w, b: make([]byte, 0, streamChunk+streamChunk/4)}
	s.b = append(s.b, head...)
	s.b = append(s.b, '[')
	for i := range msgs {
		if i > 0 {
			s.b = append(s.b, ',')
		}
		s.message(topic, &msgs[i], forceBase64)
		if s.err != nil {
			return s.err
		}
	}
	s.b = append(s.b, ']')
	if tail != nil {
		s.b = tail(s.b)
	}
	s.flush()
	return s.err
}

type recordWriter struct {
	w   io.Writer
	b   []byte
	err error
}

func (s *recordWriter) flush() {
	if s.err == nil && len(s.b) > 0 {
		_, s.err = s.w.Write(s.b)
	}
	s.b = s.b[:0]
}

func (s *recordWriter) spill() {
	if len(s.b) >= streamChunk {
		s.flush()
	}
}

// message appends m as the JSON of ToRecord(topic, m, forceBase64).
func (s *recordWriter) message(topic string, m *broker.Message, forceBase64 bool) {
	s.b = append(s.b, `{"topic":`...)
	s.b = appendString(s.b, topic)
	s.b = append(s.b, `,"key":`...)
	if s.text(m.Key, forceBase64) {
		s.b = append(s.b, `,"keyEncoding":"base64"`...)
	}
	s.b = append(s.b, `,"value":`...)
	if s.text(m.Value, forceBase64) {
		s.b = append(s.b, `,"valueEncoding":"base64"`...)
	}
	s.b = append(s.b, `,"partition":`...)
	s.b = strconv.AppendInt(s.b, int64(m.Partition), 10)
	s.b = append(s.b, `,"offset":`...)
	s.b = strconv.AppendInt(s.b, m.Offset, 10)
	s.b = append(s.b, `,"timestamp":`...)
	s.b = strconv.AppendInt(s.b, m.Time.UnixMilli(), 10)
	if m.LogAppendTime {
		s.b = append(s.b, `,"timestampType":"LogAppendTime"`...)
	} else {
		s.b = append(s.b, `,"timestampType":"CreateTime"`...)
	}
	s.b = append(s.b, `,"headers":[`...)
	for i, h := range m.Headers {
		if i > 0 {
			s.b = append(s.b, ',')
		}
		s.b = append(s.b, `{"key":`...)
		s.b = appendString(s.b, h.Key)
		s.b = append(s.b, `,"value":`...)
		if h.Value == nil {
			s.b = append(s.b, `""`...)
		} else if s.text(h.Value, forceBase64) {
			s.b = append(s.b, `,"valueEncoding":"base64"`...)
		}
		s.b = append(s.b, '}')
	}
	s.b = append(s.b, "]}"...)
	s.spill()
}

// text appends data as ToRecord shows it: null, a JSON string of valid UTF-8, or standard
// base64 (it then reports true), a piece at a time.
func (s *recordWriter) text(data []byte, forceBase64 bool) (encoded bool) {
	if data == nil {
		s.b = append(s.b, "null"...)
		return false
	}
	encoded = forceBase64 || !utf8.Valid(data)
	s.b = append(s.b, '"')
	for len(data) > 0 {
		var n int
		if encoded {
			n = min(len(data), streamChunk/4*3) // whole base64 quanta until the last piece
			s.b = base64.StdEncoding.AppendEncode(s.b, data[:n])
		} else {
			n = min(len(data), streamChunk)
			for n < len(data) && !utf8.RuneStart(data[n]) {
				n++ // valid UTF-8 splits only between runes
			}
			s.b = appendStringBody(s.b, string(data[:n]))
		}
		data = data[n:]
		s.spill()
	}
	s.b = append(s.b, '"')
	return encoded
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with HTML escaping off:
// quote, backslash and control characters escaped, U+2028 and U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendStringBody(b, s)
	return append(b, '"')
}

// appendStringBody is appendString without the quotes.
func appendStringBody(b []byte, s string) []byte {
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
	return append(b, s[start:]...)
}
