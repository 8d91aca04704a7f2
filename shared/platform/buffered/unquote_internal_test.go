package buffered

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzAppendUnquote holds appendUnquote to jsontext.AppendUnquote: the same text, and a
// failure exactly where it fails.
func FuzzAppendUnquote(f *testing.F) {
	for _, s := range []string{
		`""`, `"abc"`, `"{\"records\":[{\"value\":\"0123456789abcdef0123456789\"}]}"`,
		`"\u00e9\ud83d\ude00\/\b\f\n\r\t\\"`, `"\ud800"`, `"\udc00\ud800"`, `"\ud800\u0041"`, `"\ud83d\ude0"`,
		`"\x"`, `"\u12G4"`, "\"0123456789abcdef\x01\"", "\"0123456789ab\xffcdef\"", "\"é😀\"", `"\"`, `"a`, `a"`,
		"\"0123456789abcdef\x7f\x80\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := appendUnquote(nil, raw)
		want, err := jsontext.AppendUnquote(nil, raw)
		if ok != (err == nil) {
			t.Fatalf("%q: appendUnquote ok %v, jsontext: %v", raw, ok, err)
		}
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("%q: %q, jsontext %q", raw, got, want)
		}
	})
}
