package consumewindow

import (
	"context"
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
// without holding the answer: records are encoded straight from the messages' bytes into
// one pooled buffer (text that needs no escaping in one copy, found eight bytes at a time),
// large values piece by piece, and written out every streamChunk bytes, so a 6 MB window is
// held once (the messages), not three times (messages, record strings, encoded body). head
// is written first, and tail appends what follows the array.
func writeRecords(w io.Writer, head string, topic string, msgs []broker.Message, forceBase64 bool, tail func([]byte) []byte) error {
	s := &recordWriter{w: w, b: getChunk()}
	defer func() { putChunk(s.b) }()
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

// chunkCap is the capacity of a pooled answer buffer: a chunk and what one record's fixed
// fields add before the buffer is written out.
const chunkCap = streamChunk + streamChunk/4

// pooledChunks bounds the answer buffers kept between requests: enough for one answer of
// the default CONSUME_MAX_BYTES (6 MB of text is about 170 chunks), 7.5 MiB at most, so an
// idle function never keeps the peak of its concurrent answers.
const pooledChunks = 192

// chunks holds answer buffers between requests.
var chunks = make(chan []byte, pooledChunks)

func getChunk() []byte {
	select {
	case b := <-chunks:
		return b
	default:
		return make([]byte, 0, chunkCap)
	}
}

// putChunk returns b to the pool unless it grew (a huge topic or header key) or the pool is
// full, so the pool only ever holds pooledChunks chunkCap-sized buffers.
func putChunk(b []byte) {
	if cap(b) != chunkCap {
		return
	}
	select {
	case chunks <- b[:0]:
	default:
	}
}

// recordWriter encodes records into b and either writes it to w every streamChunk bytes or,
// with w nil, keeps the full chunks (an answer encoded while it is fetched, heldAnswer).
type recordWriter struct {
	w    io.Writer
	b    []byte
	kept [][]byte
	err  error

	topic     string
	topicJSON []byte // what each record of topic starts with
}

func (s *recordWriter) flush() {
	if len(s.b) == 0 {
		return
	}
	if s.w == nil {
		s.kept = append(s.kept, s.b)
		s.b = getChunk()
		return
	}
	if s.err == nil {
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
	if s.topicJSON == nil || s.topic != topic { // encoded once per answer
		s.topic, s.topicJSON = topic, appendString(append(s.topicJSON[:0], `{"topic":`...), topic)
		s.topicJSON = append(s.topicJSON, `,"key":`...)
	}
	s.b = append(s.b, s.topicJSON...)
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
// base64 (it then reports true), a piece at a time. The bytes are read once to decide (the
// plain prefix that needs no escaping, then UTF-8 validity of the rest) and once to encode;
// a plain run of a chunk or more goes to the writer (if any) as it is, without a copy.
func (s *recordWriter) text(data []byte, forceBase64 bool) (encoded bool) {
	if data == nil {
		s.b = append(s.b, "null"...)
		return false
	}
	plainN := 0
	if encoded = forceBase64; !encoded {
		plainN = plainPrefix(data)
		encoded = plainN < len(data) && !utf8.Valid(data[plainN:]) // the prefix is ASCII
	}
	s.b = append(s.b, '"')
	for len(data) > 0 {
		var n int
		switch {
		case encoded:
			n = min(len(data), streamChunk/4*3) // whole base64 quanta until the last piece
			s.b = base64.StdEncoding.AppendEncode(s.b, data[:n])
		case plainN >= streamChunk && s.w != nil:
			n = plainN
			s.flush()
			if s.err == nil {
				_, s.err = s.w.Write(data[:n])
			}
		case plainN > 0:
			n = min(plainN, streamChunk)
			s.b = append(s.b, data[:n]...)
		default:
			n = min(len(data), streamChunk)
			for n < len(data) && !utf8.RuneStart(data[n]) {
				n++ // valid UTF-8 splits only between runes
			}
			s.b = appendStringBody(s.b, data[:n])
		}
		plainN = max(plainN-n, 0)
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

// appendStringBody is appendString without the quotes. Runs of bytes that need no escaping
// (printable ASCII but quote and backslash, the common case) are found eight at a time and
// appended in one copy.
func appendStringBody[T string | []byte](b []byte, s T) []byte {
	start := 0
	for i := 0; i < len(s); {
		i += plainPrefix(s[i:])
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf { // a byte to escape
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
		// Converting at most utf8.UTFMax bytes for the decoder does not allocate.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
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

const (
	loBits = 0x0101010101010101
	hiBits = 0x8080808080808080
)

// plainPrefix is how many leading bytes of s JSON takes as they are: printable ASCII other
// than quote and backslash. It tests 32 bytes at a time, then eight, then finishes byte by
// byte.
func plainPrefix[T string | []byte](s T) int {
	i := 0
	for ; len(s)-i >= 32; i += 32 {
		if (special(word(s[i:i+8]))|special(word(s[i+8:i+16]))|
			special(word(s[i+16:i+24]))|special(word(s[i+24:i+32])))&hiBits != 0 {
			break
		}
	}
	for ; len(s)-i >= 8; i += 8 {
		if special(word(s[i:i+8]))&hiBits != 0 {
			break
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// word reads the first eight bytes of w, little-endian.
func word[T string | []byte](w T) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// special&hiBits is not zero exactly when one of the eight bytes of x is below 0x20, at or
// above 0x80, or is '"' or '\\': x itself has the high bit of a byte at or above 0x80;
// subtracting 0x20 from each byte borrows (sets the high bit) in a byte below 0x20, and
// subtracting 1 from x xor the quote or backslash pattern does in a byte that equals it.
// Any other byte that comes out with its high bit set was at or above 0x80, or took a
// borrow from a lower byte that is itself special, so a word of plain bytes gives zero.
// The caller masks (several words at once).
func special(x uint64) uint64 {
	return x | (x - loBits*0x20) | ((x ^ (loBits * '"')) - loBits) | ((x ^ (loBits * '\\')) - loBits)
}

// plain marks the bytes plainPrefix passes over.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// heldAnswer is a consume answer encoded while its records are fetched (broker.FetchEach),
// straight from kafka-go's pages into pooled chunks, so the window's records are never held
// as Messages: what is held is the answer itself, reserved from the response budget as it
// grows beyond the record data the fetch reserved for it.
type heldAnswer struct {
	recordWriter
	topic       string
	forceBase64 bool
	budget      broker.Budget
	records     int
	data        int64 // record data of the records added (the fetch's reservation)
	grown       int64 // reserved beyond data
}

func newHeldAnswer(head, topic string, forceBase64 bool, budget broker.Budget) *heldAnswer {
	a := &heldAnswer{recordWriter: recordWriter{b: getChunk()}, topic: topic, forceBase64: forceBase64, budget: budget}
	a.b = append(a.b, head...)
	a.b = append(a.b, '[')
	return a
}

// add encodes m (a broker.FetchEach visitor) and reports whether the answer may take more:
// false when the budget refuses the room the encoding takes beyond the record data.
func (a *heldAnswer) add(ctx context.Context, m *broker.Message) bool {
	if a.records > 0 {
		a.b = append(a.b, ',')
	}
	a.message(a.topic, m, a.forceBase64)
	a.records++
	a.data += m.Size()
	if a.budget == nil {
		return true
	}
	over := int64(len(a.kept)+1)*chunkCap - a.data - a.grown
	if over <= 0 {
		return true
	}
	if err := a.budget.Grow(ctx, over, false); err != nil {
		return false
	}
	a.grown += over
	return true
}

// finish appends tail (nil: none) after the records and reports the answer's length.
func (a *heldAnswer) finish(tail func([]byte) []byte) int {
	a.b = append(a.b, ']')
	if tail != nil {
		a.b = tail(a.b)
	}
	n := len(a.b)
	for _, c := range a.kept {
		n += len(c)
	}
	return n
}

// writeTo writes the finished answer and gives its chunks back to the pool.
func (a *heldAnswer) writeTo(w io.Writer) error {
	var err error
	for _, c := range append(a.kept, a.b) {
		if err == nil {
			_, err = w.Write(c)
		}
		putChunk(c)
	}
	a.kept, a.b = nil, nil
	return err
}

// release gives the chunks of an answer that will not be written back to the pool.
func (a *heldAnswer) release() {
	for _, c := range append(a.kept, a.b) {
		putChunk(c)
	}
	a.kept, a.b = nil, nil
}
