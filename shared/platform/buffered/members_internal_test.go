package buffered

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzMembers holds Members and Elements to jsontext: on a valid JSON object (array) they
// give the same raw member names and values (elements), in order, as a jsontext decoder.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, ` { "a" : 1 , "b\"c" : [ 1 , "]" , { "x" : "}" } ] , "d" : null } `, `[1,"a\\",{"b":[]},true, false ,null,-1.5e3]`,
		`{"a":{"b":{"c":[[[]]]}},"e":"\u00e9\\\""}`, `"s"`, `5`, "{\"a\"\t:\n\"b\"\r}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		want := func(open byte) ([][]byte, bool) {
			d := jsontext.NewDecoder(bytes.NewReader(b), decoderOptions...)
			if d.PeekKind() != jsontext.Kind(open) {
				return nil, false
			}
			_, _ = d.ReadToken()
			var out [][]byte
			for d.PeekKind() != jsontext.Kind(open+2) {
				v, err := d.ReadValue()
				if err != nil {
					t.Fatal(err)
				}
				if open == '{' && len(out)%2 == 0 {
					v = v[1 : len(v)-1] // Members gives names without quotes
				}
				out = append(out, bytes.Clone(v))
			}
			return out, true
		}
		var got [][]byte
		ok := Members(b, func(name, v []byte) bool { got = append(got, name, v); return true })
		if w, obj := want('{'); ok != obj || !equal(got, w) {
			t.Fatalf("%q: Members %v %q, want %q", b, ok, got, w)
		}
		got = nil
		ok = Elements(b, func(v []byte) bool { got = append(got, v); return true })
		if w, arr := want('['); ok != arr || !equal(got, w) {
			t.Fatalf("%q: Elements %v %q, want %q", b, ok, got, w)
		}
	})
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
