package produce_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/internal/jsontest"
	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// hdinsightSeeds are produce bodies in the shapes the HDInsight Kafka REST proxy documents
// (records with key, value and partition), plus kafkafn's extensions (headers, timestamps,
// base64) and near misses. Files in testdata/hdinsight_produce_*.json are added too.
var hdinsightSeeds = []string{
	`{"records":[{"key":"key1","value":"value1"},{"key":"key2","value":"value2"}]}`,
	`{"records":[{"value":"value1","partition":0},{"value":"value2","partition":1}]}`,
	`{"records":[{"value":{"temperature":21.5,"unit":"C"},"key":{"device":7}}]}`,
	`{"records":[{"value":"v","headers":{"trace-id":"abc"},"timestamp":1700000000000}]}`,
	`{"records":[{"value":"aGVsbG8=","key":"a2V5"}]}`,
	`{"records":[{"value":null}]}`,
	`{"records":[]}`,
	`{"records":[{"key":"k"}]}`,
	`{"records":[{"value":"v","partition":-1}]}`,
	`{"records":[{"value":"v","headers":{"":"x"}}]}`,
	`{"records":[{"value":"v","timestamp":-5}]}`,
	`{"records":[{"value":"v"}],"extra":1}`,
	`{"records":[{"value":"\ud800"}]}`,
	"{\"records\":[{\"value\":\"ab\xffcd\"}]}",
	"{\"records\":[{\"value\":{\"a\":\"\xc3\"}}]}",
	"{\"records\":[{\"value\":\"v\",\"headers\":{\"\xff\":\"x\"}}]}",
	`{"records":[{"value":"a","value":"b"}]}`,
	`{"records":[{"value":"a","VALUE":"b"}]}`,
	`{"records":[{"value":{"x":1,"x":2}}]}`,
	`{"records":[{"value":"a"}],"Records":[]}`,
	`{"records":[{"value":"\u00e9\ud83d\ude00","key":"\"k\"","headers":{"h\u00e9":"\t"}}]}`,
	`{"records":[{"value":"v","partition":1.0,"timestamp":"1"}]}`,
	`{"records":[{"value":"v","headers":{"a":null,"b":1}}]}`,
	`{"records":[null,{"value":[1, 2 ,{"a" : null}]}]} `,
	`null`,
	`[1,2,3]`,
	``,
}

func addHDInsightSeeds(f *testing.F, add func(body string)) {
	for _, s := range hdinsightSeeds {
		add(s)
	}
	files, _ := filepath.Glob("testdata/hdinsight_produce_*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(string(b))
	}
}

// FuzzDecodeRecords checks the HDInsight produce decoder on any JSON: it never panics, every
// failure is a 4xx kind, and a success converts every record.
func FuzzDecodeRecords(f *testing.F) {
	addHDInsightSeeds(f, func(body string) {
		f.Add(body, false)
		f.Add(body, true)
	})
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var req produce.ProduceRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			return // the handler's strict JSON decoder answers this with a 400
		}
		enc := produce.EncodingJSON
		if b64 {
			enc = produce.EncodingBase64
		}
		recs, err := produce.DecodeRecords(req.Records, enc, 500)
		if err != nil {
			if k := apierr.KindOf(err); k != apierr.Invalid && k != apierr.TooLarge {
				t.Fatalf("decode error of kind %v (not a 4xx kind): %v", k, err)
			}
			return
		}
		if len(recs) != len(req.Records) {
			t.Fatalf("%d records decoded from %d", len(recs), len(req.Records))
		}
		for i, r := range recs {
			if len(r.Value) > len(body) || len(r.Key) > len(body) {
				t.Fatalf("record %d decoded to more bytes than the body holds", i)
			}
			// encoding/json keeps a RawMessage's bytes as sent: the text rules must hold.
			for _, raw := range []json.RawMessage{req.Records[i].Value, req.Records[i].Key} {
				if err := jsontest.TextRules(raw); raw != nil && err != nil {
					t.Fatalf("record %d accepted with %q: %v", i, raw, err)
				}
			}
			// A JSON string value is stored as exactly its text (the fast path for plain
			// strings must agree with encoding/json).
			raw := bytes.TrimSpace(req.Records[i].Value)
			if !b64 && len(raw) > 0 && raw[0] == '"' {
				var want string
				if err := json.Unmarshal(raw, &want); err == nil && string(r.Value) != want {
					t.Fatalf("record %d: value %q stored as %q", i, want, r.Value)
				}
			}
		}
	})
}

// FuzzProduceHandler sends any body (and encoding parameter) through the real produce route
// over a kfake cluster: never a 5xx or a panic, always a JSON answer, and a body over the
// limit is a 413.
func FuzzProduceHandler(f *testing.F) {
	addHDInsightSeeds(f, func(body string) { f.Add(body, "") })
	f.Add(`{"records":[{"value":"aGk="}]}`, "base64")
	f.Add(`{"records":[{"value":"v"}]}`, "hex")
	s := harness.Start(f, harness.Options{
		Cluster:  []kfake.Opt{kfake.SeedTopics(2, "fuzz")},
		Env:      map[string]string{"HTTP_MAX_BODY_BYTES": "16384", "PRODUCE_MAX_RECORDS": "50"},
		Platform: harness.None, NoOpenAPICheck: true,
	})
	f.Fuzz(func(t *testing.T, body, encoding string) {
		req := httptest.NewRequest("POST", "/v1/producer/topics/fuzz", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		q := req.URL.Query()
		if encoding != "" {
			q.Set("encoding", encoding)
		}
		req.URL.RawQuery = q.Encode()
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("status %d with a body that is not JSON: %q", rec.Code, rec.Body)
		}
		if int64(len(body)) > s.Limits.MaxBodyBytes && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("a %d-byte body got %d, want 413", len(body), rec.Code)
		}
		if rec.Code == http.StatusOK {
			if err := jsontest.TextRules([]byte(body)); err != nil {
				t.Fatalf("stored a body that breaks the text rules (%v): %q", err, body)
			}
		}
	})
}

// FuzzDecodeBody compares the route's one-pass jsontext decoder with the strict encoding/json
// decoder it replaces (httpio.Unmarshal, then DecodeRecords) and with an independent oracle
// of the text rules: the same accept/reject, the same error codes and messages (syntax error
// offsets aside), the same records byte for byte; never a body that breaks the rules. The one
// intended difference is a name given twice in different case, which it refuses.
func FuzzDecodeBody(f *testing.F) {
	addHDInsightSeeds(f, func(body string) {
		f.Add(body, false)
		f.Add(body, true)
	})
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		enc := produce.EncodingJSON
		if b64 {
			enc = produce.EncodingBase64
		}
		got, err := produce.DecodeBody([]byte(body), enc, 50)
		var req produce.ProduceRequest
		var want []broker.Record
		werr := httpio.Unmarshal([]byte(body), &req)
		if werr == nil {
			want, werr = produce.DecodeRecords(req.Records, enc, 50)
		}
		switch {
		case err == nil && werr != nil:
			t.Fatalf("accepted what encoding/json refuses: %v", werr)
		case err == nil && jsontest.TextRules([]byte(body)) != nil:
			t.Fatalf("accepted a body that breaks the text rules: %v", jsontest.TextRules([]byte(body)))
		case err != nil && strings.Contains(apierr.MessageOf(err), "names match ignoring case"):
			if !foldDuplicate(body) {
				t.Fatalf("refused as a duplicate in another case: %v", err)
			}
		case err != nil && werr == nil:
			t.Fatalf("refused what encoding/json accepts: %v", err)
		case err != nil:
			gm, wm := apierr.MessageOf(err), apierr.MessageOf(werr)
			if apierr.CodeOf(err) != apierr.CodeOf(werr) || apierr.KindOf(err) != apierr.KindOf(werr) {
				t.Fatalf("error %s %q, encoding/json %s %q", apierr.CodeOf(err), gm, apierr.CodeOf(werr), wm)
			}
			if gm != wm && !(syntaxMessage(gm) && syntaxMessage(wm)) {
				t.Fatalf("error %q, encoding/json %q", gm, wm)
			}
		case !reflect.DeepEqual(got, want):
			t.Fatalf("decoded\n%+v\nencoding/json\n%+v", got, want)
		}
	})
}

func syntaxMessage(m string) bool {
	return strings.Contains(m, "syntax error at byte") || strings.Contains(m, "unexpected end of input")
}

// foldDuplicate reports whether body names "records", or a record field, twice in different
// case.
func foldDuplicate(body string) bool {
	dup := func(names []string, field string) bool {
		n := 0
		for _, k := range names {
			if strings.EqualFold(k, field) {
				n++
			}
		}
		return n > 1
	}
	keys := func(raw []byte) []string {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(raw, &m)
		var out []string
		for k := range m {
			out = append(out, k)
		}
		return out
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal([]byte(body), &top)
	var names []string
	for k := range top {
		names = append(names, k)
	}
	if dup(names, "records") {
		return true
	}
	for k, raw := range top {
		if !strings.EqualFold(k, "records") {
			continue
		}
		var recs []json.RawMessage
		_ = json.Unmarshal(raw, &recs)
		for _, r := range recs {
			for _, f := range []string{"value", "key", "partition", "headers", "timestamp"} {
				if dup(keys(r), f) {
					return true
				}
			}
		}
	}
	return false
}
