package produce

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// DecodeBody decodes an HDInsight produce body in one pass and converts its records for the
// broker. The common shapes are read by a hand-written scanner (fastParse), which gives way
// to a streaming jsontext pass on anything unusual. Either pass checks the whole body as it
// goes (grammar, valid UTF-8, unique names, then the ProduceRequest shape) and keeps each key
// and value as a slice of body, so a plain JSON string is stored without a copy; body must
// not change while the records are in use.
//
// It accepts exactly what the strict encoding/json decoder (httpio.Unmarshal into a
// ProduceRequest) followed by DecodeRecords accepts, with the same error codes, messages
// (a syntax error's byte offset may differ by one) and precedence (syntax, then shape, then
// trailing data, then the records' own rules; FuzzDecodeBody compares them), and
// refuses in addition a name matching one field twice in different case (`"value"` and
// `"VALUE"`), which encoding/json resolves by keeping the last.
func DecodeBody(body []byte, enc Encoding, maxRecords int) ([]broker.Record, error) {
	in, err := parseProduceRequest(body)
	if err != nil {
		return nil, err
	}
	return decodeRecords(in, enc, maxRecords, true)
}

// parseProduceRequest is the jsontext half of DecodeBody. Member names match the struct tags
// of ProduceRequest and ProducerRecord ignoring case, as encoding/json matches them.
// Most bodies are read by fastParse, which gives way to strictParse on anything unusual.
func parseProduceRequest(body []byte) ([]ProducerRecord, error) {
	if recs, ok := fastParse(body); ok {
		return recs, nil
	}
	return strictParse(body)
}

// strictParse reads body with jsontext, member by member.
func strictParse(body []byte) ([]ProducerRecord, error) {
	p := produceParser{body: body, d: jsontext.NewDecoder(bytes.NewBuffer(body))}
	recs, err := p.request()
	if err != nil {
		return nil, p.syntaxError(err)
	}
	if p.shape != nil {
		return nil, p.shape
	}
	if _, err := p.d.ReadToken(); err != io.EOF {
		return nil, invalidJSON("unexpected data after the JSON value")
	}
	return recs, nil
}

type produceParser struct {
	body  []byte
	d     *jsontext.Decoder
	shape error // the first value of the wrong type, unknown or repeated field
}

func (p *produceParser) request() ([]ProducerRecord, error) {
	switch p.d.PeekKind() {
	case 'n':
		_, err := p.d.ReadToken()
		return nil, err
	case '{':
	default:
		p.wrongType("(root)", "produce.ProduceRequest")
		return nil, p.d.SkipValue()
	}
	if _, err := p.d.ReadToken(); err != nil {
		return nil, err
	}
	var recs []ProducerRecord
	seen := false
	for p.d.PeekKind() != '}' {
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(name, "records") {
			p.unknownField(name)
			if err := p.d.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		if seen {
			p.duplicate("", name)
		}
		seen = true
		if recs, err = p.records(); err != nil {
			return nil, err
		}
	}
	_, err := p.d.ReadToken()
	return recs, err
}

func (p *produceParser) records() ([]ProducerRecord, error) {
	switch p.d.PeekKind() {
	case 'n':
		_, err := p.d.ReadToken()
		return nil, err
	case '[':
	default:
		p.wrongType("records", "[]produce.ProducerRecord")
		return nil, p.d.SkipValue()
	}
	if _, err := p.d.ReadToken(); err != nil {
		return nil, err
	}
	var recs []ProducerRecord
	for p.d.PeekKind() != ']' {
		var r ProducerRecord
		if err := p.record(&r, len(recs)); err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	_, err := p.d.ReadToken()
	return recs, err
}

// The fields of ProducerRecord, as bits of a seen set.
const (
	fieldValue = 1 << iota
	fieldKey
	fieldPartition
	fieldHeaders
	fieldTimestamp
)

func (p *produceParser) record(r *ProducerRecord, i int) error {
	switch p.d.PeekKind() {
	case 'n':
		_, err := p.d.ReadToken()
		return err
	case '{':
	default:
		p.wrongType("records", "produce.ProducerRecord")
		return p.d.SkipValue()
	}
	if _, err := p.d.ReadToken(); err != nil {
		return err
	}
	var seen int
	for p.d.PeekKind() != '}' {
		name, err := p.name()
		if err != nil {
			return err
		}
		var f int
		switch {
		case strings.EqualFold(name, "value"):
			f = fieldValue
		case strings.EqualFold(name, "key"):
			f = fieldKey
		case strings.EqualFold(name, "partition"):
			f = fieldPartition
		case strings.EqualFold(name, "headers"):
			f = fieldHeaders
		case strings.EqualFold(name, "timestamp"):
			f = fieldTimestamp
		default:
			p.unknownField(name)
			if err := p.d.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if seen&f != 0 {
			p.duplicate("records["+strconv.Itoa(i)+"]", name)
		}
		seen |= f
		switch f {
		case fieldValue, fieldKey:
			v, err := p.d.ReadValue()
			if err != nil {
				return err
			}
			if f == fieldValue {
				r.Value = []byte(v)
			} else {
				r.Key = []byte(v)
			}
		case fieldPartition:
			n, ok, err := p.integer(32)
			if err != nil {
				return err
			}
			if !ok {
				p.wrongType("records.partition", "int32")
			}
			if n != nil {
				v := int32(*n)
				r.Partition = &v
			}
		case fieldTimestamp:
			n, ok, err := p.integer(64)
			if err != nil {
				return err
			}
			if !ok {
				p.wrongType("records.timestamp", "int64")
			}
			r.Timestamp = n
		case fieldHeaders:
			if err := p.headers(r); err != nil {
				return err
			}
		}
	}
	_, err := p.d.ReadToken()
	return err
}

// integer reads a JSON number that fits an int of bits, as encoding/json reads one into an
// *int32 or *int64: null is nil, a fraction, exponent or out of range value is not ok, and
// so is any other kind of value (which leaves the pointer set to zero).
func (p *produceParser) integer(bits int) (*int64, bool, error) {
	k := p.d.PeekKind()
	v, err := p.d.ReadValue()
	if err != nil {
		return nil, false, err
	}
	switch k {
	case 'n':
		return nil, true, nil
	case '0':
		n, err := strconv.ParseInt(string(v), 10, bits)
		if err != nil {
			return new(int64), false, nil
		}
		return &n, true, nil
	default:
		return new(int64), false, nil
	}
}

func (p *produceParser) headers(r *ProducerRecord) error {
	switch p.d.PeekKind() {
	case 'n':
		_, err := p.d.ReadToken()
		r.Headers = nil
		return err
	case '{':
	default:
		p.wrongType("records.headers", "map[string]string")
		return p.d.SkipValue()
	}
	if _, err := p.d.ReadToken(); err != nil {
		return err
	}
	if r.Headers == nil {
		r.Headers = make(map[string]string)
	}
	for p.d.PeekKind() != '}' {
		name, err := p.name()
		if err != nil {
			return err
		}
		k := p.d.PeekKind()
		v, err := p.d.ReadValue()
		if err != nil {
			return err
		}
		switch k {
		case 'n':
			r.Headers[name] = ""
		case '"':
			s, err := unquote(v)
			if err != nil {
				return err
			}
			r.Headers[name] = string(s)
		default:
			p.wrongType("records.headers", "string")
			r.Headers[name] = ""
		}
	}
	_, err := p.d.ReadToken()
	return err
}

// name reads a member name.
func (p *produceParser) name() (string, error) {
	if p.d.PeekKind() != '"' {
		// Let ReadToken word the error: ReadValue would read a whole value first.
		if _, err := p.d.ReadToken(); err != nil {
			return "", err
		}
		return "", errors.New("produce: a member name must be a string")
	}
	v, err := p.d.ReadValue()
	if err != nil {
		return "", err
	}
	s, err := unquote(v)
	return string(s), err
}

// unquote returns the text of a JSON string that jsontext has validated: the bytes between
// the quotes when there is no escape, else a new unescaped copy.
func unquote(v jsontext.Value) ([]byte, error) {
	if s := v[1 : len(v)-1]; bytes.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	return jsontext.AppendUnquote(nil, v)
}

func (p *produceParser) wrongType(field, typ string) {
	if p.shape == nil {
		p.shape = invalidJSON("field " + strconv.Quote(field) + " must be " + typ)
	}
}

func (p *produceParser) unknownField(name string) {
	if p.shape == nil {
		p.shape = invalidJSON("json: unknown field " + strconv.Quote(name))
	}
}

// duplicate notes a name that matches an already seen field in another case (jsontext refuses
// exact repeats itself).
func (p *produceParser) duplicate(at, name string) {
	if p.shape == nil {
		msg := "duplicate field " + httpio.FieldName(name) + " (names match ignoring case)"
		if at != "" {
			msg = at + ": " + msg
		}
		p.shape = invalidJSON(msg)
	}
}

// syntaxError words an error of the pass as httpio.Unmarshal words encoding/json's.
func (p *produceParser) syntaxError(err error) error {
	if msg := httpio.TextProblem(p.body, err); msg != "" {
		return apierr.Wrap(apierr.Invalid, "invalid_json", "invalid JSON body: "+msg, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return invalidJSON("unexpected end of input")
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		return apierr.Wrap(apierr.Invalid, "invalid_json",
			"invalid JSON body: syntax error at byte "+strconv.FormatInt(se.ByteOffset+1, 10), err)
	}
	return apierr.Wrap(apierr.Invalid, "invalid_json", "invalid JSON body", err)
}

func invalidJSON(msg string) error {
	return apierr.E(apierr.Invalid, "invalid_json", "invalid JSON body: "+msg)
}
