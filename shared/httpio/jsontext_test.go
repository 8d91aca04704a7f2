package httpio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/internal/jsontest"
	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

type unmarshalTarget struct {
	Token   string                     `json:"token"`
	Records []map[string]any           `json:"records"`
	Props   map[string]json.RawMessage `json:"props"`
	Inner   []struct {
		Name string `json:"name"`
	} `json:"inner"`
}

// TestUnmarshalTextRules: JSON text must be UTF-8 and names unique (RFC 8259 §8.1, RFC 7493);
// encoding/json alone would store U+FFFD and keep the last duplicate.
func TestUnmarshalTextRules(t *testing.T) {
	for _, tc := range []struct {
		name, body, msg string
	}{
		{"invalid UTF-8 in a string", "{\"token\":\"ab\xffcd\"}", "invalid JSON body: token is not valid UTF-8"},
		{"invalid UTF-8 in an array element's member", "{\"records\":[{},{},{},{\"value\":\"a\xff\"}]}", "invalid JSON body: records[3]: value is not valid UTF-8"},
		{"invalid UTF-8 in a nested object value", "{\"props\":{\"x\":{\"y\":\"\xc3\"}}}", "invalid JSON body: props.x.y is not valid UTF-8"},
		{"invalid UTF-8 in a member name", "{\"records\":[{\"a\":1,\"k\xff\":1}]}", "invalid JSON body: records[0]: a field name is not valid UTF-8"},
		{"invalid UTF-8 in a nested member name", "{\"props\":{\"h\":{\"\xfe\":\"v\"}}}", "invalid JSON body: a field name in props.h is not valid UTF-8"},
		{"invalid UTF-8 in a top-level name", "{\"\xff\":1}", "invalid JSON body: a field name is not valid UTF-8"},
		{"an encoded surrogate", "{\"token\":\"\xed\xa0\x80\"}", "invalid JSON body: token is not valid UTF-8"},
		{"an unpaired surrogate escape", `{"token":"\ud800"}`, "invalid JSON body: token is not valid UTF-8 (an unpaired surrogate escape)"},
		{"a duplicate top-level name", `{"token":"a","token":"b"}`, `invalid JSON body: duplicate field token`},
		{"a duplicate name in an array element", `{"records":[{},{"value":1,"value":2}]}`, `invalid JSON body: records[1]: duplicate field value`},
		{"a duplicate name in a nested object", `{"props":{"x":{"a":1,"a":1}}}`, `invalid JSON body: duplicate field a in props.x`},
		{"a duplicate name after escapes", `{"props":{"a":1,"\u0061":1}}`, `invalid JSON body: duplicate field a in props`},
		{"one field named twice in different case", `{"token":"a","TOKEN":"b"}`, `invalid JSON body: duplicate field TOKEN (names match ignoring case)`},
		{"one nested field named twice in different case", `{"inner":[{"name":"a"},{"name":"a","Name":"b"}]}`, `invalid JSON body: inner[1]: duplicate field Name (names match ignoring case)`},
		{"an odd duplicate name is quoted", `{"props":{"a b":1,"a b":1}}`, `invalid JSON body: duplicate field "a b" in props`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v unmarshalTarget
			err := httpio.Unmarshal([]byte(tc.body), &v)
			if err == nil {
				t.Fatalf("accepted, decoded as %+v", v)
			}
			if k, code, msg := apierr.KindOf(err), apierr.CodeOf(err), apierr.MessageOf(err); k != apierr.Invalid || code != "invalid_json" || msg != tc.msg {
				t.Fatalf("got %v %s %q, want Invalid invalid_json %q", k, code, msg, tc.msg)
			}
		})
	}
	// Valid text is unchanged, including escapes that spell valid UTF-8 and names that
	// differ only by case.
	var v unmarshalTarget
	body := `{"token":"h\u00e9\ud83d\ude00 é","props":{"a":1,"A":2},"inner":[{"name":"x"},{"NAME":"y"}]}`
	if err := httpio.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Token != "hé😀 é" || len(v.Props) != 2 || len(v.Inner) != 2 || v.Inner[1].Name != "y" {
		t.Fatalf("decoded %+v", v)
	}
}

// FuzzUnmarshal checks the strict decoder on any body against encoding/json and an independent
// oracle of the text rules: it accepts exactly what encoding/json accepts strictly and keeps
// the rules, decodes it identically, and never panics; every refusal is Invalid.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"token":"x"}`, `{"token":"a","token":"b"}`, `{"records":[{"value":"v","key":1}]}`,
		`{"props":{"a":1,"A":2,"\u0061":3}}`, "{\"token\":\"\xff\"}", `{"token":"\ud800"}`,
		`{"records":[{"v":{"n":[1,{"x":1,"x":1}]}}]}`, `{"inner":[{"name":"a","NAME":"b"}]}`, `{"Token":"a","tokeN":"b"}`, `{"token":"x"} {}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got unmarshalTarget
		err := httpio.Unmarshal(body, &got)
		var want unmarshalTarget
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		v1err := dec.Decode(&want)
		if v1err == nil && dec.More() {
			v1err = errors.New("trailing data")
		}
		if v1err == nil {
			if _, terr := dec.Token(); terr != io.EOF {
				v1err = errors.New("trailing data")
			}
		}
		rules := jsontest.TextRules(body)
		switch {
		case err != nil && apierr.KindOf(err) != apierr.Invalid:
			t.Fatalf("refused with kind %v: %v", apierr.KindOf(err), err)
		case err == nil && v1err != nil:
			t.Fatalf("accepted what encoding/json refuses (%v)", v1err)
		case err == nil && rules != nil:
			t.Fatalf("accepted a body that breaks the text rules: %v", rules)
		case err != nil && strings.Contains(apierr.MessageOf(err), "names match ignoring case"):
			if v1err != nil {
				t.Fatalf("refused as a repeat in another case what encoding/json refuses (%v): %v", v1err, err)
			}
		case err != nil && v1err == nil && rules == nil:
			t.Fatalf("refused a body encoding/json accepts and that keeps the text rules: %v", err)
		case err == nil && !reflect.DeepEqual(got, want):
			t.Fatalf("decoded %+v, encoding/json %+v", got, want)
		}
	})
}
