package produce

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker"
)

// FuzzAppendAnswer holds the hand-written 200 answer to encoding/json's (what
// httpio.WriteJSON writes for a ProduceResponse), byte for byte.
func FuzzAppendAnswer(f *testing.F) {
	f.Add(0, int64(0), int64(0), 3)
	f.Add(7, int64(1<<40), int64(1_700_000_000_123), 1)
	f.Add(-1, int64(-1), int64(-5), 2)
	f.Add(2147483647, int64(9223372036854775807), int64(-9223372036854775808), 0)
	f.Fuzz(func(t *testing.T, partition int, offset, ms int64, n int) {
		n = min(max(n, 0), 50)
		produced := make([]broker.Produced, n)
		for i := range produced {
			produced[i] = broker.Produced{Partition: partition + i, Offset: offset + int64(i), Time: time.UnixMilli(ms)}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(ProduceResponse{Records: results(produced)}); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		produceAnswer(produced).WriteResponse(rec, httptest.NewRequest("POST", "/", nil))
		if rec.Body.String() != want.String() {
			t.Fatalf("answer\n%s\nencoding/json\n%s", rec.Body, want.String())
		}
	})
}

// TestProduceAnswerNotWhole: an outcome without an offset is answered as encoding/json
// writes it (never the case for a 200, but the encoder must not claim an offset).
func TestProduceAnswerNotWhole(t *testing.T) {
	produced := []broker.Produced{{Partition: 1, Offset: 4, Time: time.UnixMilli(9)},
		{Partition: 2, Offset: -1, Time: time.UnixMilli(9), Err: errors.New("x")}}
	rec := httptest.NewRecorder()
	produceAnswer(produced).WriteResponse(rec, httptest.NewRequest("POST", "/", nil))
	want := `{"records":[{"partition":1,"offset":4,"timestamp":9},{"partition":2,"timestamp":9,"error":"internal"}]}` + "\n"
	if rec.Body.String() != want {
		t.Errorf("got %s want %s", rec.Body, want)
	}
}
