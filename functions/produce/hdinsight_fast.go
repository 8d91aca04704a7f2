package produce

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// fastParse is the fast half of parseProduceRequest: one hand-written pass over the common
// shape of an HDInsight body, {"records":[{"key":…,"value":…,"partition":…,"headers":{…},
// "timestamp":…},…]}, that keeps each key and value as a slice of body. It returns ok only
// for a body it has fully checked and for which the strict jsontext pass returns the same
// records without an error. For anything else — every error, and anything unusual: a name in
// another case or with an escape, a repeated or unknown name, a null record, no records, a
// nested object or array as a key or value, a partition or timestamp that is not a plain
// integer in range, a surrogate escape — it returns ok false and the strict pass decides, so
// that what is refused, and how the answer words it, stays exactly the strict pass's.
// FuzzFastParse holds it to that.
//
// Design note: the strict pass costs a jsontext token and a Value per member; a produce body
// is almost all string values, which this pass scans with one table look-up per ASCII byte
// (other bytes are checked as UTF-8 runes), so decoding becomes a small part of a request.
func fastParse(body []byte) (recs []ProducerRecord, ok bool) {
	s := scanner{b: body}
	if !s.lit('{') || !s.name("records") || !s.lit(':') || !s.lit('[') || s.peek() == ']' {
		return nil, false
	}
	start := s.i
	for {
		var r ProducerRecord
		if !s.record(&r) {
			return nil, false
		}
		if recs == nil {
			// Guess the count from the first record's size, so that appends rarely regrow.
			recs = make([]ProducerRecord, 0, min((len(body)-start)/max(s.i-start, 1)+1, 1<<12))
		}
		recs = append(recs, r)
		more, ok := s.after(']')
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
	}
	if !s.lit('}') {
		return nil, false
	}
	s.space()
	return recs, s.i == len(s.b)
}

// scanner reads b from i. Its methods skip leading whitespace and report false for anything
// they do not take; the caller then gives up.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte (0 at the end) without taking it.
func (s *scanner) peek() byte {
	s.space()
	if s.i == len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// next takes the next non-space byte (0 at the end).
func (s *scanner) next() byte {
	c := s.peek()
	if c != 0 {
		s.i++
	}
	return c
}

func (s *scanner) lit(c byte) bool { return s.next() == c }

// after takes what follows a member or element: a comma (more) or close (not more); ok is
// false for anything else.
func (s *scanner) after(close byte) (more, ok bool) {
	switch s.next() {
	case ',':
		return true, true
	case close:
		return false, true
	}
	return false, false
}

// name takes the member name want, spelled exactly so (no escapes).
func (s *scanner) name(want string) bool {
	s.space()
	end := s.i + len(want) + 2
	if end > len(s.b) || s.b[s.i] != '"' || s.b[end-1] != '"' || string(s.b[s.i+1:end-1]) != want {
		return false
	}
	s.i = end
	return true
}

// record takes one record object into r.
func (s *scanner) record(r *ProducerRecord) bool {
	if !s.lit('{') {
		return false
	}
	if s.peek() == '}' {
		s.i++
		return true
	}
	var seen int
	for {
		f := s.field()
		if f == 0 || seen&f != 0 || !s.lit(':') {
			return false
		}
		seen |= f
		ok := false
		switch f {
		case fieldValue:
			r.Value, ok = s.data()
		case fieldKey:
			r.Key, ok = s.data()
		case fieldPartition:
			var n *int64
			if n, ok = s.integer(32); ok && n != nil {
				v := int32(*n)
				r.Partition = &v
			}
		case fieldTimestamp:
			r.Timestamp, ok = s.integer(64)
		case fieldHeaders:
			ok = s.headers(r)
		}
		if !ok {
			return false
		}
		if more, ok := s.after('}'); !more {
			return ok
		}
	}
}

// field takes a record member name spelled exactly as a ProducerRecord tag and returns its
// field bit, or 0.
func (s *scanner) field() int {
	s.space()
	for _, f := range [...]struct {
		bit  int
		name string
	}{{fieldValue, `"value"`}, {fieldKey, `"key"`}, {fieldPartition, `"partition"`},
		{fieldHeaders, `"headers"`}, {fieldTimestamp, `"timestamp"`}} {
		if end := s.i + len(f.name); end <= len(s.b) && string(s.b[s.i:end]) == f.name {
			s.i = end
			return f.bit
		}
	}
	return 0
}

// data takes a key or value — a string, a number, true, false or null — and returns its text.
func (s *scanner) data() ([]byte, bool) {
	c := s.peek()
	start := s.i
	var ok bool
	switch {
	case c == '"':
		ok, _ = s.str()
	case c == 'n':
		ok = s.word("null")
	case c == 't':
		ok = s.word("true")
	case c == 'f':
		ok = s.word("false")
	case c == '-' || c >= '0' && c <= '9':
		ok = s.number(true)
	}
	return s.b[start:s.i], ok
}

func (s *scanner) word(w string) bool {
	end := s.i + len(w)
	if end > len(s.b) || string(s.b[s.i:end]) != w {
		return false
	}
	s.i = end
	return true
}

// number takes a JSON number; with frac false only an integer (no fraction or exponent).
func (s *scanner) number(frac bool) bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if frac && i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if frac && i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	s.i = i
	return true
}

// integer takes a partition or timestamp: null (nil) or a plain integer that fits bits.
func (s *scanner) integer(bits int) (*int64, bool) {
	if s.peek() == 'n' {
		return nil, s.word("null")
	}
	start := s.i
	if !s.number(false) {
		return nil, false
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, bits)
	if err != nil {
		return nil, false
	}
	return &n, true
}

// headers takes a headers object of string (or null) values, or null.
func (s *scanner) headers(r *ProducerRecord) bool {
	if s.peek() == 'n' {
		r.Headers = nil
		return s.word("null")
	}
	if !s.lit('{') {
		return false
	}
	r.Headers = make(map[string]string)
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		name, ok := s.text()
		if !ok || !s.lit(':') {
			return false
		}
		if _, dup := r.Headers[name]; dup {
			return false
		}
		if s.peek() == 'n' {
			if !s.word("null") {
				return false
			}
			r.Headers[name] = ""
		} else if r.Headers[name], ok = s.text(); !ok {
			return false
		}
		if more, ok := s.after('}'); !more {
			return ok
		}
	}
}

// text takes a string and returns its text.
func (s *scanner) text() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.i
	ok, escaped := s.str()
	if !ok {
		return "", false
	}
	if !escaped {
		return string(s.b[start+1 : s.i-1]), true
	}
	t, err := jsontext.AppendUnquote(nil, s.b[start:s.i])
	return string(t), err == nil
}

// plain marks the ASCII bytes a string holds as they are: not a control character, quote
// or backslash, and not the start of a multi-byte rune.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// lo and hi are 0x01 and 0x80 in every byte of a word. For a byte b of x, x-lo*c has the
// byte's high bit set when b < c (or when a lower byte borrowed, which only sends the word to
// the byte-at-a-time loop); x^lo*c-lo has it set when b == c (ditto).
const (
	lo = 0x0101010101010101
	hi = 0x8080808080808080
)

// str takes a string at s.i (a quote): valid UTF-8, no control characters, only valid escapes
// and no \u escape of a surrogate (pairs are left to the strict pass). escaped reports a
// backslash in it.
func (s *scanner) str() (ok, escaped bool) {
	b, i := s.b, s.i+1
	for i < len(b) {
		// Eight plain ASCII bytes at a time: none below 0x20, none a quote or backslash,
		// none with the high bit set; 32 at a time (one test for four words) while they
		// are all plain, the bulk of a long value.
		for i+32 <= len(b) {
			x0 := binary.LittleEndian.Uint64(b[i:])
			x1 := binary.LittleEndian.Uint64(b[i+8:])
			x2 := binary.LittleEndian.Uint64(b[i+16:])
			x3 := binary.LittleEndian.Uint64(b[i+24:])
			if (notPlain8(x0)|notPlain8(x1)|notPlain8(x2)|notPlain8(x3))&hi != 0 {
				break
			}
			i += 32
		}
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if ((x-lo*0x20)|((x^lo*'"')-lo)|((x^lo*'\\')-lo)|x)&hi != 0 {
				break
			}
			i += 8
		}
		if i == len(b) {
			break
		}
		c := b[i]
		if plain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			s.i = i + 1
			return true, escaped
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return false, false
				}
				if !plainEscape(b[i+2 : i+6]) {
					return false, false
				}
				i += 6
			default:
				return false, false
			}
		case c < 0x80: // a control character
			return false, false
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return false, false
			}
			i += n
		}
	}
	return false, false
}

// notPlain8 has the high bit of each byte of x set that is below 0x20, a quote, a
// backslash or not ASCII (and possibly of bytes after such a byte: the subtractions borrow);
// it is zero in the high bits when all eight are plain, exactly as str's one-word test.
func notPlain8(x uint64) uint64 {
	return (x - lo*0x20) | ((x ^ lo*'"') - lo) | ((x ^ lo*'\\') - lo) | x
}

// plainEscape reports whether h, the four digits of a \u escape, are hex digits and do not
// name a surrogate (U+D800 to U+DFFF: d, then 8 to f), which are left to the strict pass.
func plainEscape(h []byte) bool {
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f') {
			return false
		}
	}
	return h[0]|0x20 != 'd' || h[1] >= '0' && h[1] <= '7'
}
