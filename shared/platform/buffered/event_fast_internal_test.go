package buffered

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzFastSplit holds fastSplit to splitEvent: whatever fastSplit takes, splitEvent takes
// too, with the same rest and body.
func FuzzFastSplit(f *testing.F) {
	long := strings.Repeat(`0123456789abcdef\"`, 8)
	for _, s := range []string{
		`{"body":"hello","isBase64Encoded":false,"path":"/x","headers":{"a":"b"}}`,
		`{"version":"2.0","headers":{"body":"x"},"body":"` + long + `","Body":"y","x":[{"body":"z"}]}`,
		`{"body":"a","body":"b"}`, `{"BODY":"a"}`, `{"b\u006fdy":"a"}`, `{"body":1}`, `{"body":null,"a":"b"}`,
		`{"body":"a"} x`, `{"body":"a",}`, `{"body":"a"`, `{"body":"\x"}`, "{\"body\":\"a\x01\"}",
		"{\"body\":\"" + strings.Repeat("é\xff", 9) + "\"}", `{"a":"\"body\"","body":"q"}`, `{"a":{"b":[1,"body"]},"body":"q"}`,
		`{"body" : "` + long + `\u12G4"}`, `["body","x"]`, `{"a":"b","body":"c"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		fast, ok := fastSplit(payload)
		if !ok {
			return
		}
		slow, err := splitEvent(payload)
		if err != nil {
			t.Fatalf("fastSplit took %q, splitEvent refused it: %v", payload, err)
		}
		if !bytes.Equal(fast.Rest, slow.Rest) || !bytes.Equal(fast.Body, slow.Body) {
			t.Fatalf("%q:\nfast %q %q\nslow %q %q", payload, fast.Rest, fast.Body, slow.Rest, slow.Body)
		}
	})
}

// TestFastSplitTakesEvents: the usual events are split by the fast scan.
func TestFastSplitTakesEvents(t *testing.T) {
	for _, s := range []string{
		`{"version":"2.0","rawPath":"/v1/producer/topics/t","headers":{"content-type":"application/json"},` +
			`"requestContext":{"http":{"method":"POST"}},"body":"{\"records\":[{\"value\":\"` + strings.Repeat("x", 2000) + `\"}]}","isBase64Encoded":false}`,
		`{"body":"aGVsbG8=","isBase64Encoded":true}`,
	} {
		if _, ok := fastSplit([]byte(s)); !ok {
			t.Errorf("fastSplit gave way on %.80q", s)
		}
	}
}

// BenchmarkSplitEvent splits an API Gateway event carrying a 500-record produce body, with
// the fast scan (SplitEvent) and with the jsontext pass alone (splitEvent).
func BenchmarkSplitEvent(b *testing.B) {
	body := `{\"records\":[` + strings.Repeat(`{\"partition\":0,\"value\":\"`+strings.Repeat("0123456789abcdef", 64)+`\"},`, 499) + `{\"value\":\"x\"}]}`
	payload := []byte(`{"version":"2.0","rawPath":"/v1/producer/topics/t","headers":{"content-type":"application/json"},` +
		`"requestContext":{"http":{"method":"POST"}},"body":"` + body + `","isBase64Encoded":false}`)
	for _, c := range []struct {
		name  string
		split func([]byte) (Event, error)
	}{{"SplitEvent", SplitEvent}, {"jsontext", splitEvent}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := c.split(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

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
