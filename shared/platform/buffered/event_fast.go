package buffered

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
)

// fastSplit is SplitEvent for the common event: an object whose top-level "body" members
// (named without escapes) hold strings. It finds them with a light scan that only follows
// strings and nesting, checks each body literal as a JSON string (scanString, eight bytes at
// a time), and checks the rest of the event, with the bodies replaced by "", with json.Valid
// (the reference splitEvent follows; on a small rest it costs less than a jsontext pass,
// which allocates a decoder). ok is false, and SplitEvent runs splitEvent on the whole
// payload, for anything else, every malformed payload included.
//
// Why it is exact: the rest differs from payload only in body literals replaced by "", both
// string tokens where a value is due; the light scan reads strings as a JSON lexer does
// (from a quote to the next unescaped quote), so wherever the rest is valid up to a literal,
// the scan has found the same tokens there, and payload is valid exactly when the rest is and
// every literal is a valid string. FuzzFastSplit compares it with splitEvent.
func fastSplit(payload []byte) (Event, bool) {
	i := skipSpace(payload, 0)
	if i == len(payload) || payload[i] != '{' {
		return Event{}, false
	}
	i++
	var spans [][2]int
	depth, name := 1, true // name: at depth 1, the next string is a member name
	for i < len(payload) && depth > 0 {
		switch payload[i] {
		case '"':
			end, ok := scanString(payload, i)
			if !ok {
				return Event{}, false
			}
			if depth > 1 || !name {
				i = end
				continue
			}
			n := payload[i+1 : end-1]
			if bytes.IndexByte(n, '\\') >= 0 {
				return Event{}, false // isBodyName's unquoting: rare, left to splitEvent
			}
			j := skipSpace(payload, end)
			if j == len(payload) || payload[j] != ':' {
				return Event{}, false
			}
			j = skipSpace(payload, j+1)
			name = false
			if len(n) == 4 && bytes.EqualFold(n, []byte("body")) && j < len(payload) && payload[j] == '"' {
				e, ok := scanString(payload, j)
				if !ok {
					return Event{}, false
				}
				spans = append(spans, [2]int{j, e})
				j = e
			}
			i = j
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		case ',':
			name = name || depth == 1
			i++
		default:
			i++
		}
	}
	if len(spans) == 0 {
		return Event{}, false // no body: a small event, splitEvent reads it whole
	}
	rest := blankSpans(payload, spans)
	if !json.Valid(rest) {
		return Event{}, false
	}
	last := spans[len(spans)-1]
	return Event{Rest: rest, Body: payload[last[0]:last[1]]}, true
}

// scanString checks the JSON string literal at b[i] (a quote) as json.Valid does (escapes
// well formed, no control characters; bytes of any value otherwise) and returns the index
// after its closing quote.
func scanString(b []byte, i int) (int, bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i++
	for i < len(b) {
		// Eight bytes at a time while none is a quote, a backslash or below 0x20 (the byte's
		// high bit, masked with ^y so that bytes of 0x80 and above pass).
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^lo*'"', x^lo*'\\'
			if ((x-lo*0x20)&^x|(q-lo)&^q|(bs-lo)&^bs)&hi != 0 {
				break
			}
			i += 8
		}
		if i == len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			if i+1 == len(b) {
				return 0, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(b[i+2:]); !ok {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		default:
			i++
		}
	}
	return 0, false
}
