package produce

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fastSeeds are bodies fastParse takes, and near misses it must leave to strictParse.
var fastSeeds = []string{
	`{"records":[{"key":"key1","value":"value1"},{"key":"key2","value":"value2"}]}`,
	" {\n\t\"records\" : [ {\"partition\":0,\"value\":\"v\"} , {\"value\":\"w\",\"partition\":1} ] }\r\n",
	`{"records":[{"value":"v","headers":{"trace-id":"abc","x":null,"e\u00e9":"\t\"q\""},"timestamp":1700000000000}]}`,
	`{"records":[{"value":null,"key":null,"partition":null,"timestamp":null,"headers":null}]}`,
	`{"records":[{"value":-12.5e+3},{"value":true},{"value":false},{"value":0},{"value":"é😀"}]}`,
	`{"records":[{}]}`,
	`{"records":[{"value":"\u00e9\ud83d\ude00"}]}`,
	`{"records":[{"value":"\ud800"}]}`,
	`{"records":[{"value":"\x"}]}`,
	"{\"records\":[{\"value\":\"ab\xffcd\"}]}",
	"{\"records\":[{\"value\":\"a\x01\"}]}",
	`{"records":[{"value":"a","value":"b"}]}`,
	`{"records":[{"value":"a","VALUE":"b"}]}`,
	`{"records":[{"value":"v","headers":{"a":"1","a":"2"}}]}`,
	`{"records":[{"value":"v","headers":{"\u0061":"1","a":"2"}}]}`,
	`{"records":[{"value":"v","partition":2147483648}]}`,
	`{"records":[{"value":"v","partition":-1,"timestamp":-5}]}`,
	`{"records":[{"value":"v","partition":1.0}]}`,
	`{"records":[{"value":01}]}`,
	`{"records":[{"value":1x}]}`,
	`{"records":[{"value":"v"}],"extra":1}`,
	`{"records":[{"value":"v"}]} x`,
	`{"records":[{"value":"v"}]}{}`,
	`{"records":[null]}`,
	`{"records":[]}`,
	`{"records":[{"value":{"a":1}}]}`,
	`{"records":[{"value":"v",}]}`,
	`{"records":[{"value":"v"},]}`,
	`{"records":[{"value":"v"}`,
	// Long strings, for the eight-bytes-at-a-time loop: a bad byte or an escape mid-word.
	"{\"records\":[{\"value\":\"0123456789abcdef012\x01xyz0123456789\"}]}",
	"{\"records\":[{\"value\":\"0123456789abcdef0123\xffxyz0123456789\"}]}",
	"{\"records\":[{\"value\":\"0123456789abcdef0123\xc3\xa9yz0123456789\"}]}",
	`{"records":[{"value":"0123456789abcdef01234\"yz0123456789\n0123456789abcdef"}]}`,
	`{"records":[{"value":"0123456789abcdef012345\u0001z0123456789\ud83d\ude00"}]}`,
	"{\"records\":[{\"value\":\"0123456789abcdef0123456\x7f0123456789abcdef\"}]}",
}

// FuzzFastParse holds fastParse to strictParse: whatever fastParse takes, strictParse takes
// too, with the same records.
func FuzzFastParse(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add(s)
	}
	// Long values with a bad byte, an escape or a quote at every offset of the
	// 32-bytes-at-a-time loop's first two blocks (and around them).
	for _, bad := range []string{"\x01", "\xff", "\\\"", "\\n", "\xc3\xa9", "\x7f", "\\u0041", "\\ud800", "\""} {
		for pos := range 70 {
			v := strings.Repeat("0123456789abcdef", 5)
			f.Add(`{"records":[{"value":"` + v[:pos] + bad + v[pos:] + `"}]}`)
		}
	}
	files, _ := filepath.Glob("testdata/hdinsight_produce_*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, body string) {
		fast, ok := fastParse([]byte(body))
		if !ok {
			return
		}
		strict, err := strictParse([]byte(body))
		if err != nil {
			t.Fatalf("fastParse took %q, strictParse refused it: %v", body, err)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("%q:\nfast   %#v\nstrict %#v", body, fast, strict)
		}
	})
}

// TestFastParseTakesCommonBodies: the common shapes are read by the fast pass (else the
// route would silently run at the strict pass's speed).
func TestFastParseTakesCommonBodies(t *testing.T) {
	for _, body := range fastSeeds[:6] {
		if _, ok := fastParse([]byte(body)); !ok {
			t.Errorf("fastParse gave way on %q", body)
		}
	}
	big := `{"records":[` + strings.Repeat(`{"partition":0,"value":"`+strings.Repeat("0123456789abcdef", 64)+`"},`, 499) +
		`{"value":"x"}]}`
	if recs, ok := fastParse([]byte(big)); !ok || len(recs) != 500 {
		t.Errorf("fastParse of 500 records: %d records, ok %v", len(recs), ok)
	}
}

// BenchmarkStrictParse is the jsontext pass alone, for comparison with BenchmarkDecodeBody
// (whose bodies the fast pass reads).
func BenchmarkStrictParse(b *testing.B) {
	body := []byte(`{"records":[` + strings.Repeat(`{"partition":0,"value":"`+strings.Repeat("0123456789abcdef", 64)+`"},`, 499) +
		`{"value":"x"}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := strictParse(body); err != nil {
			b.Fatal(err)
		}
	}
}
