package buffered_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kafkafn/kafkafn/shared/platform/buffered"
)

// envelope stands for any adapter's event struct: a body and fields around it.
type envelope struct {
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Headers         map[string]string `json:"headers"`
	Path            *string           `json:"path"`
	Nested          json.RawMessage   `json:"requestContext"`
}

// oldDecode is how the adapters decoded an event before SplitEvent.
func oldDecode(payload []byte) (envelope, []byte, error) {
	var ev envelope
	if err := json.Unmarshal(payload, &ev); err != nil {
		return ev, nil, err
	}
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		return ev, b, err
	}
	return ev, []byte(ev.Body), nil
}

// newDecode is SplitEvent, encoding/json on the rest, and DecodeBody.
func newDecode(payload []byte) (envelope, []byte, error) {
	var ev envelope
	split, err := buffered.SplitEvent(payload)
	if err != nil {
		return ev, nil, err
	}
	if err := json.Unmarshal(split.Rest, &ev); err != nil {
		return ev, nil, err
	}
	body, err := buffered.DecodeBody(split.Body, ev.IsBase64Encoded)
	return ev, body, err
}

// compare checks the new decoding against encoding/json's: the same events refused, the same
// fields, the same body bytes; the one allowed difference is a text body encoding/json
// mangled (invalid UTF-8 or a lone surrogate became U+FFFD), which is now refused.
func compare(t *testing.T, payload []byte) {
	t.Helper()
	if _, err := buffered.SplitEvent(payload); (err == nil) != json.Valid(payload) {
		t.Fatalf("SplitEvent(%q) = %v; json.Valid = %v", payload, err, json.Valid(payload))
	}
	oldEv, oldBody, oldErr := oldDecode(payload)
	newEv, newBody, newErr := newDecode(payload)
	switch {
	case oldErr != nil && newErr != nil:
		return
	case oldErr == nil && errors.Is(newErr, buffered.ErrBodyUTF8):
		if !strings.ContainsRune(oldEv.Body, utf8.RuneError) {
			t.Fatalf("%q: body refused as invalid UTF-8, but encoding/json kept %q", payload, oldEv.Body)
		}
		return
	case (oldErr == nil) != (newErr == nil):
		t.Fatalf("%q: old err %v, new err %v", payload, oldErr, newErr)
	}
	if !bytes.Equal(oldBody, newBody) {
		t.Fatalf("%q: body %q, want %q", payload, newBody, oldBody)
	}
	oldEv.Body = "" // compared as bytes above
	if !reflect.DeepEqual(oldEv, newEv) {
		t.Fatalf("%q: event %+v, want %+v", payload, newEv, oldEv)
	}
}

var eventSeeds = []string{
	`{"body":"hello","isBase64Encoded":false,"path":"/x","headers":{"a":"b"}}`,
	`{"body":"aGVsbG8=","isBase64Encoded":true}`,
	`{"body":"aGVs\nbG8=","isBase64Encoded":true}`,
	`{"body":"aGVs\/bG8=","isBase64Encoded":true}`,
	`{"body":"{\"records\":[{\"value\":\"\u00e9\"}]}"}`,
	`{"Body":"a","BODY":"b","body":null}`,
	`{"\u0062ody":"escaped name"}`,
	`{"body":"a","body":5}`,
	`{"body":{"nested":"object"}}`,
	`{"body":"\ud800"}`,
	"{\"body\":\"\xff\"}",
	"{\"headers\":{\"a\":\"\xff\"},\"body\":\"ok\"}",
	`{"body":"x"} {"body":"y"}`,
	`{"body":"x"}   `,
	`{"body":"x",}`,
	`{"requestContext":{"body":"inner"},"body":"outer"}`,
	`[{"body":"x"}]`, `"body"`, `null`, ``, ` `, `{`, `{}`,
}

func TestSplitEventMatchesEncodingJSON(t *testing.T) {
	for _, s := range eventSeeds {
		t.Run(s, func(t *testing.T) { compare(t, []byte(s)) })
	}
}

func TestSplitEvent(t *testing.T) {
	for _, tc := range []struct{ in, rest, body string }{
		{`{"a":1,"body":"x\"y","b":2}`, `{"a":1,"body":"","b":2}`, `"x\"y"`},
		{`{"body":"1","BODY":"2"}`, `{"body":"","BODY":""}`, `"2"`},
		{`{"body":null}`, `{"body":null}`, ``},
		{`{"requestContext":{"body":"inner"}}`, `{"requestContext":{"body":"inner"}}`, ``},
		{`  [1]  `, `  [1]  `, ``},
	} {
		ev, err := buffered.SplitEvent([]byte(tc.in))
		if err != nil || string(ev.Rest) != tc.rest || string(ev.Body) != tc.body {
			t.Errorf("SplitEvent(%s) = %s, %s, %v; want %s, %s", tc.in, ev.Rest, ev.Body, err, tc.rest, tc.body)
		}
	}
	for _, bad := range []string{`{"body":"x"} {}`, `{"body":"x"`, `{"body":"x",}`, `{"a" 1}`, ``, `{"body":"\x"}`} {
		if _, err := buffered.SplitEvent([]byte(bad)); !errors.Is(err, buffered.ErrInvalidJSON) {
			t.Errorf("SplitEvent(%q) err = %v, want ErrInvalidJSON", bad, err)
		}
	}
}

func TestDecodeBody(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		b64  bool
		want string
		err  bool
	}{
		{`"plain"`, false, "plain", false},
		{`"a\u00e9\n\"b"`, false, "a\u00e9\n\"b", false},
		{"\"\xc3\xa9\"", false, "\u00e9", false},
		{"\"\xff\"", false, "", true},
		{`"\udc00"`, false, "", true},
		{`"AP8="`, true, "\x00\xff", false},
		{`"AP\/+"`, true, "\x00\xff\xfe", false},
		{`"not base64!"`, true, "", true},
		{``, false, "", false},
	} {
		got, err := buffered.DecodeBody([]byte(tc.raw), tc.b64)
		if (err != nil) != tc.err || string(got) != tc.want {
			t.Errorf("DecodeBody(%s, %v) = %q, %v; want %q (error %v)", tc.raw, tc.b64, got, err, tc.want, tc.err)
		}
	}
}

func TestAppendBody(t *testing.T) {
	for _, tc := range []struct {
		ct, body string
		b64      bool
	}{
		{"application/json", `{"a":"<b>&\u2028"}` + "\u2028", false},
		{"application/octet-stream", "\x00\xff", true},
		{"text/plain", "\xff", true},
		{"", "", false},
		{"application/json", strings.Repeat(`{"k":"\\"}`, 1000), false},
	} {
		rec := buffered.NewRecorder(1 << 20)
		rec.Header().Set("Content-Type", tc.ct)
		_, _ = rec.Write([]byte(tc.body))
		dst := append(make([]byte, 0, buffered.EnvelopeSize(rec)), '{')
		out := append(buffered.AppendBody(dst, rec), '}')
		if cap(out) != cap(dst) {
			t.Errorf("%.40s: the envelope outgrew EnvelopeSize (%d > %d)", tc.body, len(out), cap(dst))
		}
		var got struct {
			Body            string `json:"body"`
			IsBase64Encoded bool   `json:"isBase64Encoded"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		body := []byte(got.Body)
		if got.IsBase64Encoded {
			body, _ = base64.StdEncoding.DecodeString(got.Body)
		}
		if got.IsBase64Encoded != tc.b64 || string(body) != tc.body {
			t.Errorf("%s: body %q base64 %v, want %q %v", out, body, got.IsBase64Encoded, tc.body, tc.b64)
		}
	}
}

func FuzzSplitEvent(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) { compare(t, payload) })
}

func TestSplitEventNestingLimitMatchesEncodingJSON(t *testing.T) {
	for _, depth := range []int{9998, 9999, 10000, 10001} {
		payload := []byte(`{"body":"x","a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
		compare(t, payload)
	}
}
