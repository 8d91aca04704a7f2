package produce_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/harness"
)

// start runs the produce binary's Build over a kfake cluster with opts, in the dev auth
// mode, with env (limits) over a 10 s request timeout.
func start(t *testing.T, env map[string]string, opts ...kfake.Opt) *harness.Stack {
	t.Helper()
	return harness.StartDev(t, harness.Produce, env, opts...)
}

// readAll reads every record of a partition with kafka-go's Reader: a path independent of
// kafkafn's own fetch code.
func readAll(t *testing.T, s *harness.Stack, topic string, partition int) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := kafka.DialLeader(ctx, "tcp", s.Cluster.ListenAddrs()[0], topic, partition)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	last, err := conn.ReadLastOffset()
	if err != nil {
		t.Fatal(err)
	}
	if last == 0 {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: s.Cluster.ListenAddrs(), Topic: topic, Partition: partition, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var out []kafka.Message
	for int64(len(out)) < last {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func endOffsets(t *testing.T, s *harness.Stack, topic string, partitions int) []int64 {
	t.Helper()
	ids := make([]int, partitions)
	for i := range ids {
		ids[i] = i
	}
	offs, err := s.Broker.Offsets(t.Context(), topic, ids)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, partitions)
	for p, r := range offs {
		out[p] = r.Latest
	}
	return out
}

type result struct {
	Records []struct {
		Partition int
		Offset    *int64
		Timestamp int64
		Error     string
	}
	Error struct{ Code, Message string }
}

func decode(t *testing.T, b []byte) result {
	t.Helper()
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return r
}

func TestProduceMixedValuesRoundTripByteExactly(t *testing.T) {
	s := start(t, nil, kfake.SeedTopics(1, "mixed"))
	// The six kinds Microsoft's sample sends, plus null, keys of several kinds and headers.
	body := `{"records":[
		{"value":"a string \u00e9"},
		{"value":42, "key":"k-int"},
		{"value":3.25, "key":7},
		{"value":{"b": 1, "a": [true, null]}, "key":{"id":1}},
		{"value":[1, "two", 3.0]},
		{"value":{"nested":{"deeper":{"x":"y"}}}, "headers":{"trace-id":"abc","content-type":"application/json"}},
		{"value":null, "key":"tombstone", "timestamp":1700000000123}
	]}`
	r := s.Do(t, "POST", "/v1/producer/topics/mixed", body)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	res := decode(t, r.Body)
	if len(res.Records) != 7 {
		t.Fatalf("%s", r.Body)
	}
	for i, rec := range res.Records {
		if rec.Offset == nil || *rec.Offset != int64(i) || rec.Partition != 0 {
			t.Fatalf("record %d: %+v", i, rec)
		}
	}
	if res.Records[6].Timestamp != 1700000000123 {
		t.Errorf("timestamp echoed %d", res.Records[6].Timestamp)
	}
	msgs := readAll(t, s, "mixed", 0)
	want := []struct{ key, value string }{
		{"", "a string é"},
		{"k-int", "42"},
		{"7", "3.25"},
		{`{"id":1}`, `{"b":1,"a":[true,null]}`},
		{"", `[1,"two",3.0]`},
		{"", `{"nested":{"deeper":{"x":"y"}}}`},
		{"tombstone", ""},
	}
	for i, w := range want {
		m := msgs[i]
		if string(m.Key) != w.key || string(m.Value) != w.value {
			t.Errorf("record %d: key %q value %q, want %q %q", i, m.Key, m.Value, w.key, w.value)
		}
	}
	if msgs[0].Key != nil {
		t.Errorf("a record without a key was written with key %q", msgs[0].Key)
	}
	if msgs[6].Value != nil {
		t.Errorf("a null value was written as %q", msgs[6].Value)
	}
	if got := fmt.Sprint(msgs[5].Headers); got != "[{content-type [97 112 112 108 105 99 97 116 105 111 110 47 106 115 111 110]} {trace-id [97 98 99]}]" {
		t.Errorf("headers %s", got)
	}
	if msgs[6].Time.UnixMilli() != 1700000000123 {
		t.Errorf("timestamp %v", msgs[6].Time)
	}
}

func TestProduceBinaryWithBase64Encoding(t *testing.T) {
	s := start(t, nil, kfake.SeedTopics(1, "bin"))
	raw := []byte{0, 1, 2, 0xff, 0xfe, 'x'}
	body := fmt.Sprintf(`{"records":[{"key":%q,"value":%q}]}`, base64.StdEncoding.EncodeToString([]byte{0xc3}), base64.StdEncoding.EncodeToString(raw))
	r := s.Do(t, "POST", "/v1/producer/topics/bin?encoding=base64", body)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	m := readAll(t, s, "bin", 0)[0]
	if string(m.Value) != string(raw) || string(m.Key) != "\xc3" {
		t.Fatalf("key %x value %x", m.Key, m.Value)
	}
}

func TestProducePartitioning(t *testing.T) {
	s := start(t, nil, kfake.SeedTopics(4, "p"))
	r := s.Do(t, "POST", "/v1/producer/topics/p", `{"records":[{"value":"a","partition":3},{"value":"b","key":"user-9"},{"value":"c","key":"user-9"},{"value":"d"},{"value":"e"}]}`)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	res := decode(t, r.Body).Records
	if res[0].Partition != 3 {
		t.Errorf("explicit partition ignored: %+v", res[0])
	}
	if res[1].Partition != res[2].Partition || *res[2].Offset != *res[1].Offset+1 {
		t.Errorf("same key, different partitions or order: %+v %+v", res[1], res[2])
	}
	if res[3].Partition != res[4].Partition {
		t.Errorf("keyless records of one request should share a partition: %+v %+v", res[3], res[4])
	}
}

func TestProduceRefusesBadInputAndWritesNothing(t *testing.T) {
	s := start(t, map[string]string{"PRODUCE_MAX_RECORDS": "3", "HTTP_MAX_BODY_BYTES": "1024"}, kfake.SeedTopics(2, "t"))
	tests := []struct {
		name, path, body string
		header           []string
		status           int
		code             string
	}{
		{"no records → 400", "/v1/producer/topics/t", `{"records":[]}`, nil, 400, "no_records"},
		{"missing records → 400", "/v1/producer/topics/t", `{}`, nil, 400, "no_records"},
		{"a record without value → 400", "/v1/producer/topics/t", `{"records":[{"value":"ok"},{"key":"k"}]}`, nil, 400, "invalid_record"},
		{"a negative partition → 400", "/v1/producer/topics/t", `{"records":[{"value":"ok","partition":-1}]}`, nil, 400, "invalid_record"},
		{"a negative timestamp → 400", "/v1/producer/topics/t", `{"records":[{"value":"ok","timestamp":-5}]}`, nil, 400, "invalid_record"},
		{"a non-string header → 400", "/v1/producer/topics/t", `{"records":[{"value":"ok","headers":{"a":1}}]}`, nil, 400, "invalid_json"},
		{"an empty header name → 400", "/v1/producer/topics/t", `{"records":[{"value":"ok","headers":{"":"x"}}]}`, nil, 400, "invalid_record"},
		{"an unknown field → 400", "/v1/producer/topics/t", `{"records":[{"value":"ok","valu":"x"}]}`, nil, 400, "invalid_json"},
		{"trailing data → 400", "/v1/producer/topics/t", `{"records":[{"value":"ok"}]} {}`, nil, 400, "invalid_json"},
		{"malformed JSON → 400", "/v1/producer/topics/t", `{"records":[{"value":`, nil, 400, "invalid_json"},
		{"an empty body → 400", "/v1/producer/topics/t", ``, nil, 400, "invalid_body"},
		{"bad base64 → 400", "/v1/producer/topics/t?encoding=base64", `{"records":[{"value":"***"}]}`, nil, 400, "invalid_record"},
		{"a non-string with base64 → 400", "/v1/producer/topics/t?encoding=base64", `{"records":[{"value":1}]}`, nil, 400, "invalid_record"},
		{"an unknown encoding → 400", "/v1/producer/topics/t?encoding=hex", `{"records":[{"value":"x"}]}`, nil, 400, "invalid_encoding"},
		{"too many records → 413", "/v1/producer/topics/t", `{"records":[{"value":1},{"value":2},{"value":3},{"value":4}]}`, nil, 413, "too_many_records"},
		{"a body over the cap → 413", "/v1/producer/topics/t", `{"records":[{"value":"` + strings.Repeat("x", 1100) + `"}]}`, nil, 413, "body_too_large"},
		{"a non-JSON content type → 415", "/v1/producer/topics/t", `{"records":[{"value":1}]}`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"an invalid topic name → 400", "/v1/producer/topics/t%20t", `{"records":[{"value":1}]}`, nil, 400, "invalid_topic"},
		{"an unknown topic → 404", "/v1/producer/topics/nope", `{"records":[{"value":1}]}`, nil, 404, "unknown_topic"},
		{"an unknown partition → 404, and the valid records are not written either", "/v1/producer/topics/t", `{"records":[{"value":1,"partition":0},{"value":2,"partition":5}]}`, nil, 404, "unknown_partition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "POST", tt.path, tt.body, tt.header...)
			if r.Status != tt.status || decode(t, r.Body).Error.Code != tt.code {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	if got := endOffsets(t, s, "t", 2); got[0] != 0 || got[1] != 0 {
		t.Fatalf("refused requests wrote records: end offsets %v", got)
	}
}

// TestProduceRefusesInvalidTextAndWritesNothing: JSON text is UTF-8 (RFC 8259 §8.1) and names
// are unique; a body breaking either is a 400 naming the record and field, never a record
// stored with U+FFFD or with the last duplicate.
func TestProduceRefusesInvalidTextAndWritesNothing(t *testing.T) {
	s := start(t, nil, kfake.SeedTopics(2, "t"))
	tests := []struct{ name, path, body, msg string }{
		{"invalid UTF-8 in a string value", "/v1/producer/topics/t", "{\"records\":[{\"value\":\"ok\"},{\"value\":\"ok\"},{\"value\":\"ok\"},{\"value\":\"ab\xffcd\"}]}", "records[3]: value is not valid UTF-8"},
		{"invalid UTF-8 in a key", "/v1/producer/topics/t", "{\"records\":[{\"value\":\"ok\",\"key\":\"\xc3(\"}]}", "records[0]: key is not valid UTF-8"},
		{"invalid UTF-8 in a header value", "/v1/producer/topics/t", "{\"records\":[{\"value\":\"ok\",\"headers\":{\"h\":\"\xe2\x82\"}}]}", "records[0]: headers.h is not valid UTF-8"},
		{"invalid UTF-8 in a header name", "/v1/producer/topics/t", "{\"records\":[{\"value\":\"ok\",\"headers\":{\"a\":\"b\",\"\xff\":\"v\"}}]}", "records[0]: a field name in headers is not valid UTF-8"},
		{"invalid UTF-8 inside an object value", "/v1/producer/topics/t", "{\"records\":[{\"value\":{\"a\":[\"\xf0\x9f\"]}}]}", "records[0]: value.a[0] is not valid UTF-8"},
		{"invalid UTF-8 in an object value's name", "/v1/producer/topics/t", "{\"records\":[{\"value\":{\"\xfe\":1}}]}", "records[0]: a field name in value is not valid UTF-8"},
		{"invalid UTF-8 in a record's field name", "/v1/producer/topics/t", "{\"records\":[{\"value\":\"ok\",\"k\xffy\":1}]}", "records[0]: a field name is not valid UTF-8"},
		{"an encoded surrogate half", "/v1/producer/topics/t", "{\"records\":[{\"value\":\"\xed\xb0\x80\"}]}", "records[0]: value is not valid UTF-8"},
		{"an unpaired surrogate escape", "/v1/producer/topics/t", `{"records":[{"value":"a\udc00"}]}`, "records[0]: value is not valid UTF-8 (an unpaired surrogate escape)"},
		{"invalid UTF-8 with encoding=base64", "/v1/producer/topics/t?encoding=base64", "{\"records\":[{\"value\":\"aGk=\xff\"}]}", "records[0]: value is not valid UTF-8"},
		{"a duplicate value", "/v1/producer/topics/t", `{"records":[{"value":"a","value":"b"}]}`, "records[0]: duplicate field value"},
		{"a duplicate records", "/v1/producer/topics/t", `{"records":[{"value":"a"}],"records":[{"value":"b"}]}`, "duplicate field records"},
		{"a duplicate key", "/v1/producer/topics/t", `{"records":[{"value":"a"},{"key":"k","value":"a","key":"l"}]}`, "records[1]: duplicate field key"},
		{"a duplicate header", "/v1/producer/topics/t", `{"records":[{"value":"a","headers":{"h":"1","h":"2"}}]}`, "records[0]: duplicate field h in headers"},
		{"a duplicate name inside an object value", "/v1/producer/topics/t", `{"records":[{"value":{"x":{"n":1,"n":2}}}]}`, "records[0]: duplicate field n in value.x"},
		{"a field named twice in different case", "/v1/producer/topics/t", `{"records":[{"value":"a","VALUE":"b"}]}`, "records[0]: duplicate field VALUE (names match ignoring case)"},
		{"records named twice in different case", "/v1/producer/topics/t", `{"records":[{"value":"a"}],"Records":[{"value":"b"}]}`, "duplicate field Records (names match ignoring case)"},
		{"a duplicate spelled with an escape", "/v1/producer/topics/t", `{"records":[{"value":"a","valu\u0065":"b"}]}`, "records[0]: duplicate field value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "POST", tt.path, tt.body)
			e := decode(t, r.Body).Error
			if r.Status != 400 || e.Code != "invalid_json" || e.Message != "invalid JSON body: "+tt.msg {
				t.Fatalf("%d %s; want 400 invalid_json %q", r.Status, r.Body, tt.msg)
			}
		})
	}
	if got := endOffsets(t, s, "t", 2); got[0] != 0 || got[1] != 0 {
		t.Fatalf("refused requests wrote records: end offsets %v", got)
	}
	// Valid UTF-8 is stored byte for byte, whether sent raw or escaped.
	r := s.Do(t, "POST", "/v1/producer/topics/t", `{"records":[{"value":"é😀\u00e9\ud83d\ude00","key":"ключ","partition":1,"headers":{"名":"値"}}]}`)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	m := readAll(t, s, "t", 1)[0]
	if string(m.Value) != "é😀é😀" || string(m.Key) != "ключ" || len(m.Headers) != 1 || m.Headers[0].Key != "名" || string(m.Headers[0].Value) != "値" {
		t.Fatalf("stored key %q value %q headers %v", m.Key, m.Value, m.Headers)
	}
}

// TestDecodeBodyTakesPlainStringsInPlace: a value without escapes is stored from the body
// itself, not from a copy; one with escapes is unescaped into its own bytes.
func TestDecodeBodyTakesPlainStringsInPlace(t *testing.T) {
	body := []byte(`{"records":[{"value":"plain é","key":"k"},{"value":"esc\"aped"}]}`)
	recs, err := produce.DecodeBody(body, produce.EncodingJSON, 10)
	if err != nil {
		t.Fatal(err)
	}
	if string(recs[0].Value) != "plain é" || string(recs[1].Value) != `esc"aped` {
		t.Fatalf("values %q %q", recs[0].Value, recs[1].Value)
	}
	// Overwrite the body: a value taken in place sees it, a copy does not.
	for i := range body {
		body[i] = '#'
	}
	if string(recs[0].Value) != "########" || string(recs[0].Key) != "#" {
		t.Errorf("record 0: value %q key %q, want slices of the body", recs[0].Value, recs[0].Key)
	}
	if string(recs[1].Value) != `esc"aped` {
		t.Errorf("record 1: the unescaped value %q shares the body", recs[1].Value)
	}
}
