package consumewindow

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker"
)

// encodeStd is what encoding/json writes for the response.
func encodeStd(t testing.TB, recs []ConsumeRecord) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ConsumeResponse{Records: recs}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sampleRecords() []ConsumeRecord {
	msgs := []broker.Message{
		{Partition: 1, Offset: 7, Key: []byte("k"), Value: []byte(`{"a":"<b>&\"q\"\\\n\t\r\b\f` + "\x01\u2028\u2029é😀"), Time: time.UnixMilli(1700000000123),
			Headers: []broker.Header{{Key: "h\"1", Value: []byte("v")}, {Key: "bin", Value: []byte{0xff}}}},
		{Partition: 0, Offset: 0, Key: nil, Value: nil, LogAppendTime: true},
		{Partition: 2, Offset: 1 << 40, Key: []byte{0xc3, 0x28}, Value: []byte{}},
	}
	out := make([]ConsumeRecord, len(msgs))
	for i := range msgs {
		out[i] = ToRecord("orders.v1", &msgs[i], false)
	}
	return out
}

func TestAppendResponseMatchesEncodingJSON(t *testing.T) {
	for _, recs := range [][]ConsumeRecord{{}, sampleRecords(), {{Topic: "t", TimestampType: "CreateTime"}}} {
		got := appendResponse(nil, recs)
		if want := encodeStd(t, recs); !bytes.Equal(got, want) {
			t.Fatalf("\ngot  %s\nwant %s", got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "é😀<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec := []ConsumeRecord{{Topic: s, Key: &s, Value: &s, TimestampType: s, Headers: []Header{{Key: s, Value: s}}}}
		if got, want := appendResponse(nil, rec), encodeStd(t, rec); !bytes.Equal(got, want) {
			t.Fatalf("%q:\ngot  %s\nwant %s", s, got, want)
		}
	})
}

func BenchmarkEncodeWindow(b *testing.B) {
	v := string(bytes.Repeat([]byte("x"), 1024))
	recs := make([]ConsumeRecord, 5800)
	for i := range recs {
		recs[i] = ConsumeRecord{Topic: "t", Key: &v, Value: &v, Offset: int64(i), TimestampType: "CreateTime", Headers: []Header{}}
	}
	b.Run("appendResponse", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = appendResponse(buf[:0], recs)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeStd(b, recs)
		}
	})
}
