package buffered

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// Members calls fn with the name and the raw value of each member of the JSON object obj, in
// order, and stops when fn returns false. obj must be valid JSON (as Event.Rest is: SplitEvent
// validated it); Members only follows its structure. name is the member name without its
// quotes and still escaped; ok is false when obj is not an object or fn stopped.
//
// The adapters use it to tell event kinds apart from a few top-level members without an
// encoding/json pass (which costs more than the rest of a small request's handling); they
// take only names without escapes or non-ASCII bytes (PlainName), which encoding/json
// matches to a field exactly when they equal its name ignoring ASCII case, and give way to
// encoding/json for anything else.
func Members(obj []byte, fn func(name, value []byte) bool) (ok bool) {
	i := skipSpace(obj, 0)
	if i == len(obj) || obj[i] != '{' {
		return false
	}
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] == '"' {
		end := skipValue(obj, i)
		name := obj[i+1 : end-1]
		i = skipSpace(obj, skipSpace(obj, end)+1) // past the colon
		end = skipValue(obj, i)
		if !fn(name, obj[i:end]) {
			return false
		}
		i = skipSpace(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return true
}

// PlainName reports whether a member name (as Members gives it) has no escapes and only
// ASCII bytes, so that comparing it with a field name ignoring ASCII case is how encoding/json
// matches it (non-ASCII runes such as U+017F ſ fold to ASCII letters there).
func PlainName(name []byte) bool {
	for _, c := range name {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// skipValue returns the index after the valid JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // a number, true, false or null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// skipString returns the index after the valid JSON string starting at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// Elements calls fn with each element of the JSON array arr (valid JSON), in order, and stops
// when fn returns false; ok is false when arr is not an array or fn stopped.
func Elements(arr []byte, fn func(value []byte) bool) (ok bool) {
	i := skipSpace(arr, 0)
	if i == len(arr) || arr[i] != '[' {
		return false
	}
	i = skipSpace(arr, i+1)
	for i < len(arr) && arr[i] != ']' {
		end := skipValue(arr, i)
		if !fn(arr[i:end]) {
			return false
		}
		i = skipSpace(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i = skipSpace(arr, i+1)
		}
	}
	return true
}

// PlainString returns the text of the JSON string literal v (quotes included) when it has no
// escapes and is valid UTF-8, which is exactly when encoding/json's value is those bytes; ok
// is false for any other value.
func PlainString(v []byte) (s string, ok bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	in := v[1 : len(v)-1]
	if bytes.IndexByte(in, '\\') >= 0 || !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// Target is where DecodePlain stores the member Name (a field's name, ASCII) of an object:
// To is a *string, *bool or *int64, a **string (a *string field), a *map[string]string, a
// *[]string, a []Target (a struct field: null leaves it, an object is decoded into it), a
// func(value []byte) bool for anything else, or nil for a member DecodePlain must give way
// on (one that carries identity, say).
type Target struct {
	Name string
	To   any
}

// DecodePlain decodes the JSON object obj (valid JSON) into targets the way json.Unmarshal
// decodes it into the struct they stand for, for the usual object: member names without
// escapes or non-ASCII bytes (PlainName), strings without escapes (PlainString), and values
// of the targets' types. It follows json.Unmarshal member by member: names match ignoring
// ASCII case, unknown ones are skipped, the last occurrence wins (a repeated object is decoded
// into the same struct or map), null leaves a string, bool, number or struct as it was and
// sets a pointer, map or slice to nil, and an empty array is an empty slice. ok is false for
// anything else; the targets are then partly written, and the caller decodes a fresh value
// with encoding/json (which also words the errors). The adapters' FuzzDecodeEvent targets
// compare the two.
func DecodePlain(obj []byte, targets ...Target) (ok bool) {
	return Members(obj, func(name, v []byte) bool {
		if !PlainName(name) {
			return false
		}
		for _, t := range targets {
			if NameIs(name, t.Name) {
				return store(v, t.To)
			}
		}
		return true
	})
}

func store(v []byte, to any) bool {
	null := v[0] == 'n'
	switch to := to.(type) {
	case *string:
		return StoreString(v, to)
	case **string:
		if null {
			*to = nil
			return true
		}
		s, ok := PlainString(v)
		*to = &s
		return ok
	case *bool:
		switch v[0] {
		case 't', 'f':
			*to = v[0] == 't'
			return true
		}
		return null
	case *int64:
		if null {
			return true
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		*to = n
		return err == nil
	case *map[string]string:
		return StoreMap(v, to)
	case *[]string:
		return StoreStrings(v, to)
	case []Target:
		return null || v[0] == '{' && DecodePlain(v, to...)
	case func([]byte) bool:
		return to(v)
	}
	return false
}

// StoreString stores the plain string v (PlainString) into dst as json.Unmarshal would; null
// leaves dst as it was. ok is false for any other value.
func StoreString(v []byte, dst *string) bool {
	if v[0] == 'n' {
		return true
	}
	s, ok := PlainString(v)
	if ok {
		*dst = s
	}
	return ok
}

// StoreStrings stores the array of plain strings v into dst as json.Unmarshal would (an empty
// array is an empty slice); null sets it to nil. ok is false for any other value.
func StoreStrings(v []byte, dst *[]string) bool {
	if v[0] == 'n' {
		*dst = nil
		return true
	}
	out := []string{}
	ok := Elements(v, func(e []byte) bool {
		s, ok := PlainString(e)
		out = append(out, s)
		return ok
	})
	if ok {
		*dst = out
	}
	return ok
}

// StoreMap adds the object v of plain strings under plain names to the map *dst (made when
// nil) as json.Unmarshal would; null sets it to nil. ok is false for any other value.
func StoreMap(v []byte, dst *map[string]string) bool {
	if v[0] == 'n' {
		*dst = nil
		return true
	}
	if v[0] != '{' {
		return false
	}
	if *dst == nil {
		*dst = make(map[string]string)
	}
	m := *dst
	return Members(v, func(name, v []byte) bool {
		if !PlainName(name) {
			return false
		}
		k, ok := PlainString(v)
		if ok {
			m[string(name)] = k
		}
		return ok
	})
}

// NameIs reports whether a plain member name (PlainName) is one encoding/json matches to a
// field named field (ASCII): equal ignoring ASCII case.
func NameIs(name []byte, field string) bool {
	return len(name) == len(field) && bytes.EqualFold(name, []byte(field))
}
