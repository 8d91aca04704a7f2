// Package jsontest holds test support for JSON request decoders: an oracle for the text rules
// every request body follows (valid UTF-8, no unpaired surrogate escapes, unique member names
// in every object), written independently of the jsontext check the decoders use, so that fuzz
// targets can compare the two.
package jsontest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Accepted is a fuzz target's check of one decoder answer for body: a refusal (err not
// nil) must be Invalid, and an accepted body must keep the text rules; t fails otherwise.
// It reports whether the body was accepted.
func Accepted(t testing.TB, body []byte, err error) bool {
	t.Helper()
	if err != nil {
		if k := apierr.KindOf(err); k != apierr.Invalid {
			t.Fatalf("refused with kind %v: %v", k, err)
		}
		return false
	}
	if err := TextRules(body); err != nil {
		t.Fatalf("accepted a body that breaks the text rules (%v): %q", err, body)
	}
	return true
}

// TextRules reports whether b, a JSON text that encoding/json accepts, keeps the text rules:
// nil, or what it breaks. The result for a text encoding/json refuses is unspecified.
func TextRules(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("not valid UTF-8")
	}
	if err := surrogates(b); err != nil {
		return err
	}
	return uniqueNames(b)
}

// surrogates scans the strings of b for \u escapes of UTF-16 surrogates that do not pair.
func surrogates(b []byte) error {
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !in:
			in = c == '"'
		case c == '"':
			in = false
		case c == '\\' && i+1 < len(b) && b[i+1] == 'u':
			r, ok := hex4(b, i+2)
			if !ok {
				return errors.New("a bad \\u escape")
			}
			switch {
			case utf16.IsSurrogate(r) && r < 0xdc00:
				r2, ok := rune(0), false
				if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
					r2, ok = hex4(b, i+8)
				}
				if !ok || r2 < 0xdc00 || r2 > 0xdfff {
					return fmt.Errorf("an unpaired surrogate escape at byte %d", i)
				}
				i += 11
			case utf16.IsSurrogate(r):
				return fmt.Errorf("an unpaired surrogate escape at byte %d", i)
			default:
				i += 5
			}
		case c == '\\':
			i++ // the escaped character
		}
	}
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// uniqueNames walks b's tokens with encoding/json (exact once the UTF-8 rules hold) and
// reports a member name repeated within one object.
func uniqueNames(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		object   bool
		wantName bool
		names    map[string]bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // not this oracle's business
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantName {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			name := tok.(string)
			if top.names[name] {
				return fmt.Errorf("the name %q is repeated", name)
			}
			top.names[name] = true
			top.wantName = false
			continue
		}
		if top != nil && top.object {
			top.wantName = true // this token is the member's value (or opens it)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantName: true, names: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}
