package httpio

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// The text rules every JSON request body follows on top of RFC 8259's grammar: strings and
// member names are valid UTF-8 without unpaired surrogate escapes (RFC 8259 §8.1, RFC 7493
// §2.1), and no object repeats a member name (RFC 7493 §2.3). encoding/json replaces bad
// UTF-8 with U+FFFD and lets the last duplicate win, which would store something other than
// what was sent; jsontext (github.com/go-json-experiment/json, the published encoding/json/v2)
// enforces both rules by default, so every body is checked with it. Binary data is sent base64
// encoded.

// CheckJSONText reports whether body keeps the UTF-8 and unique-name rules, as an Invalid
// apierr error with code and the message "<prefix>: <problem>", the problem as TextProblem
// words it. Other syntax errors are not reported: they are left to the decoder that runs next.
func CheckJSONText(body []byte, code, prefix string) error {
	_, err := jsontext.NewDecoder(bytes.NewBuffer(body)).ReadValue()
	if err == nil {
		return nil
	}
	p := TextProblem(body, err)
	if p == "" {
		return nil
	}
	if prefix != "" {
		p = prefix + ": " + p
	}
	return apierr.Wrap(apierr.Invalid, code, p, err)
}

// TextProblem describes err, an error of a jsontext.Decoder that read body from its start,
// if it breaks the UTF-8 or unique-name rule: "records[3]: value is not valid UTF-8",
// `records[0]: duplicate field "value"`, "records[1]: a field name in headers is not valid
// UTF-8", "topic_properties.x is not valid UTF-8". It returns "" for any other error.
func TextProblem(body []byte, err error) string {
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		return ""
	}
	var problem string
	dup := errors.Is(err, jsontext.ErrDuplicateName)
	switch msg := se.Err.Error(); {
	case dup:
	case strings.Contains(msg, "invalid UTF-8"):
		problem = "is not valid UTF-8"
	case strings.Contains(msg, "surrogate"):
		problem = "is not valid UTF-8 (an unpaired surrogate escape)"
	default:
		return ""
	}
	var toks []string
	for t := range se.JSONPointer.Tokens() {
		toks = append(toks, t)
	}
	kinds, isName := replay(body, se.ByteOffset)
	levels := len(kinds) - 1 // open arrays and objects; level i's kind is kinds[i]
	if isName {
		levels-- // the failing name belongs to the innermost object, not below it
	}
	levels = max(0, min(levels, len(toks)))
	// where: the path up to the first array element ("records[3]"); rest: the path inside it.
	where, rest := "", ""
	for i, t := range toks[:levels] {
		switch {
		case kinds[i+1] == '[' && where == "":
			where, rest = rest+"["+t+"]", ""
		case kinds[i+1] == '[':
			rest += "[" + t + "]"
		default:
			rest = joinPath(rest, FieldName(t))
		}
	}
	in := ""
	if rest != "" {
		in = " in " + rest
	}
	var what string
	switch {
	case dup && len(toks) > 0:
		what = "duplicate field " + FieldName(toks[len(toks)-1]) + in
	case dup:
		what = "duplicate field" + in
	case isName:
		what = "a field name" + in + " " + problem
	case rest != "":
		what = rest + " " + problem
	case where != "":
		return where + " " + problem
	default:
		what = "a string " + problem
	}
	if where == "" {
		return what
	}
	return where + ": " + what
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// FieldName returns a member name for an error message: as is when it is a short plain
// identifier, else quoted and clipped, so that an answer never echoes much of the request.
func FieldName(s string) string {
	plain := s != "" && len(s) <= 64
	for i := 0; plain && i < len(s); i++ {
		c := s[i]
		plain = c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if plain {
		return s
	}
	if len(s) > 64 {
		s = s[:64]
	}
	return strconv.QuoteToASCII(s)
}

// replay reads body's tokens up to the one failing at offset and returns the decoder's stack
// just before it (kinds[0] is the top level, then '{' or '[' per open object or array) and
// whether the failing token is a member name. Only error paths call it.
func replay(body []byte, offset int64) (kinds []jsontext.Kind, isName bool) {
	d := jsontext.NewDecoder(bytes.NewBuffer(body))
	for d.InputOffset() < offset {
		depth := d.StackDepth()
		k, n := d.StackIndex(depth)
		if _, err := d.ReadToken(); err != nil {
			isName = depth > 0 && k == '{' && n%2 == 0
			break
		}
	}
	kinds = make([]jsontext.Kind, d.StackDepth()+1)
	for i := range kinds {
		kinds[i], _ = d.StackIndex(i)
	}
	return kinds, isName
}

// foldDuplicate reports a member given twice, in different case, for one field of the struct
// that v points to (or of a struct inside it). encoding/json matches names to fields ignoring
// case and keeps the last; a strict decoder refuses the repeat. body has passed CheckJSONText.
func foldDuplicate(body []byte, v any) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return nil
	}
	d := jsontext.NewDecoder(bytes.NewBuffer(body))
	msg, err := walkFolds(d, t.Elem(), "", "")
	if err != nil || msg == "" {
		return nil // syntax is the decoder's business
	}
	return apierr.E(apierr.Invalid, "invalid_json", "invalid JSON body: "+msg)
}

// walkFolds reads one value of d as a value of type t; where and rest are the path so far,
// split as TextProblem splits it.
func walkFolds(d *jsontext.Decoder, t reflect.Type, where, rest string) (string, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	k := d.PeekKind()
	switch {
	case k == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		if _, err := d.ReadToken(); err != nil {
			return "", err
		}
		for i := 0; d.PeekKind() != ']'; i++ {
			w, r := where, rest+"["+strconv.Itoa(i)+"]"
			if where == "" {
				w, r = rest+"["+strconv.Itoa(i)+"]", ""
			}
			if msg, err := walkFolds(d, t.Elem(), w, r); msg != "" || err != nil {
				return msg, err
			}
		}
		_, err := d.ReadToken()
		return "", err
	case k == '{' && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		if _, err := d.ReadToken(); err != nil {
			return "", err
		}
		seen := map[int]bool{}
		for d.PeekKind() != '}' {
			tok, err := d.ReadToken()
			if err != nil {
				return "", err
			}
			name := tok.String()
			elem, field := t, -1
			if t.Kind() == reflect.Map {
				elem = t.Elem()
			} else {
				elem, field = fieldByFold(t, name)
			}
			if field >= 0 && seen[field] {
				what := "duplicate field " + FieldName(name) + " (names match ignoring case)"
				if rest != "" {
					what += " in " + rest
				}
				if where != "" {
					what = where + ": " + what
				}
				return what, nil
			}
			seen[field] = true
			if elem == nil {
				if err := d.SkipValue(); err != nil {
					return "", err
				}
				continue
			}
			if msg, err := walkFolds(d, elem, where, joinPath(rest, FieldName(name))); msg != "" || err != nil {
				return msg, err
			}
		}
		_, err := d.ReadToken()
		return "", err
	default:
		return "", d.SkipValue()
	}
}

// fieldByFold finds the field of struct t that encoding/json would decode name into: its
// type and index, or nil and -1.
func fieldByFold(t reflect.Type, name string) (reflect.Type, int) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if strings.EqualFold(tag, name) {
			return f.Type, i
		}
	}
	return nil, -1
}
