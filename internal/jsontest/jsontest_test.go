package jsontest_test

import (
	"testing"

	"github.com/kafkafn/kafkafn/internal/jsontest"
)

func TestTextRules(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, true},
		{`{"a":"\ud83d\ude00 é \\ud800 \"\\u"}`, true},
		{`[{"a":1},{"a":1}]`, true},
		{`{"a":1,"a":2}`, false},
		{`{"a":{"x":1,"y":[],"x":2}}`, false},
		{`{"a":1,"\u0061":2}`, false},
		{`[{"b":[{}],"b":1}]`, false},
		{"{\"a\":\"\xff\"}", false},
		{"{\"a\":\"\xed\xa0\x80\"}", false},
		{`{"a":"\ud800"}`, false},
		{`{"a":"\udc00\ud800"}`, false},
		{`{"a":"\ud800\u0041"}`, false},
		{`"\uDBFF\uDFFF"`, true},
	} {
		if err := jsontest.TextRules([]byte(tc.body)); (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok=%v", tc.body, err, tc.ok)
		}
	}
}
