package consumewindow

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker"
)

// In package consumewindow: these tests compare the unexported streaming encoder
// (writeRecords, streamChunk) with encoding/json.

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

func sampleMessages() []broker.Message {
	return []broker.Message{
		{Partition: 1, Offset: 7, Key: []byte("k"), Value: []byte(`{"a":"<b>&\"q\"\\\n\t\r\b\f` + "\x01\u2028\u2029é😀"), Time: time.UnixMilli(1700000000123),
			Headers: []broker.Header{{Key: "h\"1", Value: []byte("v")}, {Key: "bin", Value: []byte{0xff}}, {Key: "nil"}, {Key: "empty", Value: []byte{}}}},
		{Partition: 0, Offset: 0, Key: nil, Value: nil, LogAppendTime: true},
		{Partition: 2, Offset: 1 << 40, Key: []byte{0xc3, 0x28}, Value: []byte{}},
	}
}

func toRecords(topic string, msgs []broker.Message, forceBase64 bool) []ConsumeRecord {
	out := make([]ConsumeRecord, len(msgs))
	for i := range msgs {
		out[i] = ToRecord(topic, &msgs[i], forceBase64)
	}
	return out
}

// streamed is what writeRecords writes for a ConsumeResponse, after checking that a
// heldAnswer fed the same messages writes the same.
func streamed(t testing.TB, topic string, msgs []broker.Message, forceBase64 bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tail := func(b []byte) []byte { return append(b, "}\n"...) }
	if err := writeRecords(&buf, `{"records":`, topic, msgs, forceBase64, tail); err != nil {
		t.Fatal(err)
	}
	a := newHeldAnswer(`{"records":`, topic, forceBase64, nil)
	for i := range msgs {
		a.add(context.Background(), &msgs[i])
	}
	n := a.finish(tail)
	var held bytes.Buffer
	if err := a.writeTo(&held); err != nil {
		t.Fatal(err)
	}
	if n != held.Len() {
		t.Fatalf("heldAnswer.finish reported %d bytes, wrote %d", n, held.Len())
	}
	if !bytes.Equal(held.Bytes(), buf.Bytes()) {
		t.Fatalf("heldAnswer and writeRecords differ:\nheld     %.300s\nstreamed %.300s", held.Bytes(), buf.Bytes())
	}
	return buf.Bytes()
}

func TestWriteRecordsMatchesEncodingJSON(t *testing.T) {
	big := broker.Message{Value: bytes.Repeat([]byte("x\""), 3*streamChunk), Key: bytes.Repeat([]byte{0xff}, streamChunk)}
	for name, msgs := range map[string][]broker.Message{
		"none": {}, "samples": sampleMessages(), "records larger than a chunk": {big, big, {Value: []byte("after")}},
	} {
		for _, force := range []bool{false, true} {
			got := streamed(t, "orders.v1", msgs, force)
			if want := encodeStd(t, toRecords("orders.v1", msgs, force)); !bytes.Equal(got, want) {
				t.Fatalf("%s (base64 %v):\ngot  %.300s\nwant %.300s", name, force, got, want)
			}
		}
	}
}

func TestWindowAnswerMatchesEncodingJSON(t *testing.T) {
	for _, out := range []WindowResponse{
		{Cursor: "abc_-", Done: true},
		{Cursor: "x", Gaps: []Gap{{Partition: 1, From: 2, To: 3}, {Partition: 4, From: 5, To: 1 << 40}}},
	} {
		var buf bytes.Buffer
		if err := writeRecords(&buf, `{"records":`, "t", sampleMessages(), true, out.appendTail); err != nil {
			t.Fatal(err)
		}
		out.Records = toRecords("t", sampleMessages(), true)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want.Bytes()) {
			t.Fatalf("\ngot  %s\nwant %s", buf.Bytes(), want.Bytes())
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "é😀<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msgs := []broker.Message{{Key: []byte(s), Value: []byte(s), Headers: []broker.Header{{Key: s, Value: []byte(s)}}}}
		for _, force := range []bool{false, true} {
			if got, want := streamed(t, s, msgs, force), encodeStd(t, toRecords(s, msgs, force)); !bytes.Equal(got, want) {
				t.Fatalf("%q:\ngot  %s\nwant %s", s, got, want)
			}
		}
	})
}

func BenchmarkEncodeWindow(b *testing.B) {
	v := bytes.Repeat([]byte("x"), 1024)
	msgs := make([]broker.Message, 5800)
	for i := range msgs {
		msgs[i] = broker.Message{Key: v, Value: v, Offset: int64(i)}
	}
	b.Run("writeRecords", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = writeRecords(io.Discard, `{"records":`, "t", msgs, false, nil)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		recs := toRecords("t", msgs, false)
		for b.Loop() {
			encodeStd(b, recs)
		}
	})
}

// FuzzWriteRecords compares writeRecords with encoding/json on arbitrary key, value and
// header bytes, in both encodings; reps repeats the value so that runs longer than a
// chunk (written without a copy) and pieces split at chunk edges are covered too.
func FuzzWriteRecords(f *testing.F) {
	f.Add([]byte("k"), []byte("plain value"), []byte("h"), uint8(0))
	f.Add([]byte{0xff, 'a'}, []byte("x\"\\\x00é\u2028"), []byte{}, uint8(3))
	f.Add([]byte(nil), []byte("0123456789abcdef"), []byte{0xc3}, uint8(200))
	f.Fuzz(func(t *testing.T, key, value, header []byte, reps uint8) {
		if reps > 0 {
			value = bytes.Repeat(value, 1+int(reps)*streamChunk/(1+len(value))/64)
		}
		msgs := []broker.Message{
			{Key: key, Value: value, Headers: []broker.Header{{Key: string(header), Value: header}}},
			{Key: value, Value: key, Offset: 1},
		}
		for _, force := range []bool{false, true} {
			if got, want := streamed(t, "t", msgs, force), encodeStd(t, toRecords("t", msgs, force)); !bytes.Equal(got, want) {
				t.Fatalf("base64 %v:\ngot  %.400s\nwant %.400s", force, got, want)
			}
		}
	})
}
