package buffered

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Event is a platform event split so that its body is read without reflection: Rest is the
// event with every top-level "body" string member replaced by "" (small: the adapters decode
// it with encoding/json as before), and Body is the raw JSON string literal of the last such
// member, as encoding/json would have kept it (nil when there is none).
//
// Design note: the body of an API Gateway event is a JSON string of up to 6 MB. Decoding the
// whole event with encoding/json scans it twice (validity, then values), unquotes the body
// through reflection into a string, and the adapter copies that string again into the
// request. SplitEvent scans the event once with jsontext (which validates as it goes, so a
// malformed event is refused exactly where json.Valid refuses it), and DecodeBody unquotes the
// literal once into the slice the route reads. The rest of the envelope (headers, query,
// requestContext) keeps its encoding/json decoding, so fields added there (authorizer
// context, identity) stay one struct field away.
type Event struct {
	Rest []byte
	Body []byte
}

// ErrInvalidJSON is SplitEvent's error for a payload that is not one valid JSON value.
var ErrInvalidJSON = errors.New("buffered: the event is not valid JSON")

// decoderOptions make jsontext accept what encoding/json accepts in an envelope: duplicate
// names (the last wins) and invalid UTF-8 outside the body (encoding/json replaces it with
// U+FFFD; the body itself is checked strictly by DecodeBody).
var decoderOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// SplitEvent splits payload into its body literal and the rest. It fails with ErrInvalidJSON
// exactly when json.Valid(payload) is false. A payload that is not an object is returned
// whole as Rest.
func SplitEvent(payload []byte) (Event, error) {
	if ev, ok := fastSplit(payload); ok {
		return ev, nil
	}
	return splitEvent(payload)
}

// splitEvent is SplitEvent's jsontext pass over the whole payload.
func splitEvent(payload []byte) (Event, error) {
	i := skipSpace(payload, 0)
	if i == len(payload) || payload[i] != '{' {
		if !json.Valid(payload) {
			return Event{}, ErrInvalidJSON
		}
		return Event{Rest: payload}, nil
	}
	d := jsontext.NewDecoder(bytes.NewBuffer(payload), decoderOptions...)
	if _, err := d.ReadToken(); err != nil {
		return Event{}, ErrInvalidJSON
	}
	var spans [][2]int // the body string values, in order
	for d.PeekKind() != '}' {
		name, err := d.ReadValue()
		if err != nil {
			return Event{}, ErrInvalidJSON
		}
		body := isBodyName(name)
		val, err := d.ReadValue()
		if err != nil {
			return Event{}, ErrInvalidJSON
		}
		if body && val.Kind() == '"' {
			end := int(d.InputOffset())
			spans = append(spans, [2]int{end - len(val), end})
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return Event{}, ErrInvalidJSON
	}
	if skipSpace(payload, int(d.InputOffset())) != len(payload) {
		return Event{}, ErrInvalidJSON // trailing data
	}
	if len(spans) == 0 {
		return Event{Rest: payload}, nil
	}
	rest := blankSpans(payload, spans)
	last := spans[len(spans)-1]
	return Event{Rest: rest, Body: payload[last[0]:last[1]]}, nil
}

// isBodyName reports whether a raw member name is one encoding/json matches to a field
// tagged "body": the match is case-insensitive, and no non-ASCII letter folds to b, o, d or y.
func isBodyName(raw []byte) bool {
	name := raw[1 : len(raw)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		name, _ = jsontext.AppendUnquote(nil, raw)
	}
	return len(name) == 4 && bytes.EqualFold(name, []byte("body"))
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// ErrBodyUTF8 refuses a text body that is not valid UTF-8 (raw invalid bytes or a lone
// surrogate escape): encoding/json would have replaced them with U+FFFD, changing the bytes.
var ErrBodyUTF8 = apierr.E(apierr.Invalid, "invalid_body",
	"the request body in the event is not valid UTF-8; binary bodies must arrive base64-encoded")

// errBase64 is the answer to an isBase64Encoded body that is not base64.
func errBase64(err error) error {
	return apierr.Wrap(apierr.Invalid, "invalid_body", "the request body is not valid base64", err)
}

// DecodeBody returns the bytes of the body literal raw (from Event.Body): unquoted once
// (appendUnquote) and,
// when b64, base64-decoded once, into one slice of the right size. The slice is the route's
// request body; it is not pooled, because routes hand sub-slices of it to the Kafka client,
// whose connection may still be encoding an abandoned request after the handler returned.
func DecodeBody(raw []byte, b64 bool) ([]byte, error) {
	if len(raw) < 2 {
		return nil, nil
	}
	inner := raw[1 : len(raw)-1]
	if !b64 {
		out, ok := appendUnquote(make([]byte, 0, len(inner)), raw) // the text is never longer
		if !ok {
			return nil, ErrBodyUTF8
		}
		return out, nil
	}
	src := inner
	if bytes.IndexByte(inner, '\\') >= 0 {
		var ok bool
		if src, ok = appendUnquote(make([]byte, 0, len(inner)), raw); !ok {
			_, err := jsontext.AppendUnquote(nil, raw) // for its wording
			return nil, errBase64(err)
		}
	}
	out, err := base64.StdEncoding.AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(src))), src)
	if err != nil {
		return nil, errBase64(err)
	}
	return out, nil
}

// AppendString appends s as a JSON string (invalid UTF-8 becomes U+FFFD, as encoding/json
// does).
func AppendString[S ~[]byte | ~string](dst []byte, s S) []byte {
	dst, _ = jsontext.AppendQuote(dst, s)
	return dst
}

// AppendBody appends the recorded body as the envelope's "body" member value followed by
// its isBase64Encoded member: escaped once as a JSON string when it is text, base64-encoded
// otherwise.
func AppendBody(dst []byte, rec *Recorder) []byte {
	body := rec.Body()
	dst = append(dst, `"body":`...)
	if IsText(rec.Header().Get("Content-Type"), body) {
		return append(AppendString(dst, body), `,"isBase64Encoded":false`...)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, body)
	return append(dst, `","isBase64Encoded":true`...)
}

// EnvelopeSize is a capacity for an envelope carrying rec's body: room for the base64 or
// escaped body (each quote and backslash takes two bytes; control characters, rare in text,
// get some slack) and the headers, so the envelope is usually written without regrowing.
func EnvelopeSize(rec *Recorder) int {
	body := rec.Body()
	n := 512
	if IsText(rec.Header().Get("Content-Type"), body) {
		n += len(body) + bytes.Count(body, []byte{'"'}) + bytes.Count(body, []byte{'\\'}) + len(body)/64
	} else {
		n += base64.StdEncoding.EncodedLen(len(body))
	}
	for k, vs := range rec.Header() {
		n += len(k) + 8
		for _, v := range vs {
			n += len(v) + 4
		}
	}
	return n
}

// SortedKeys returns h's names in the order encoding/json writes a map's keys.
func SortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// AppendStatus appends `{"statusCode":code`.
func AppendStatus(dst []byte, code int) []byte {
	return strconv.AppendInt(append(dst, `{"statusCode":`...), int64(code), 10)
}

// AppendStrings appends vs as a JSON array of strings (null for a nil slice).
func AppendStrings(dst []byte, vs []string) []byte {
	if vs == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, v)
	}
	return append(dst, ']')
}

// blankSpans returns a copy of payload with each span (a string literal, quotes included, in
// order and not overlapping) replaced by "".
func blankSpans(payload []byte, spans [][2]int) []byte {
	n := len(payload)
	for _, s := range spans {
		n -= s[1] - s[0] - 2
	}
	rest := make([]byte, 0, n)
	prev := 0
	for _, s := range spans {
		rest = append(append(rest, payload[prev:s[0]]...), `""`...)
		prev = s[1]
	}
	return append(rest, payload[prev:]...)
}
