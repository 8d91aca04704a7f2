package scf

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/scfwire"
)

// encoding/gob is the oracle of these tests: what it encodes, the decoder must read into the
// same values that encoding/gob reads, and what the encoder writes, encoding/gob must read.

// The runtime's messages as a Go net/rpc client declares them (type names do not matter;
// the invoke argument is scfwire.Invoke).
type (
	clientRequest struct {
		ServiceMethod string
		Seq           uint64
	}
	clientResponse struct {
		ServiceMethod string
		Seq           uint64
		Error         string
	}
)

// A future runtime's request: new fields of every gob kind around the known ones, in
// another order, some known ones missing, and a Deadline with a field more.
type (
	futureNode struct {
		Name string
		Next *futureNode
	}
	futureBinary struct{ b []byte }
	futureIface  struct {
		A int
		M map[string]any
	}
	futureDeadline struct {
		Zone    string
		Seconds int64
		Leap    bool
		Nanos   int64
	}
	futureInvoke struct {
		Flag          bool
		Ratio         float64
		Phase         complex128
		Small         int8
		Port          uint16
		Labels        map[string]string
		Matrix        map[int][][]byte
		Tags          []string
		Grid          [3][2]int
		Payload       []byte
		Frames        []futureDeadline
		Chain         *futureNode
		When          time.Time // a GobEncoder
		Binary        futureBinary
		Any           any
		AnyNil        any
		Deadline      futureDeadline
		RequestId     string //nolint:revive,staticcheck // wire field name
		Environment   string
		TimeLimitInMs int64 // a wider type than ours: fine while the value fits
		Empty         struct{}
		Nested        struct {
			Inner []map[string]*futureNode
		}
		FunctionTrace string
	}
)

func (b futureBinary) MarshalBinary() ([]byte, error) { return b.b, nil }
func (b *futureBinary) UnmarshalBinary(p []byte) error {
	b.b = p
	return nil
}

func init() {
	gob.Register([]any{})
	gob.Register(futureIface{})
	gob.Register(&futureNode{})
	gob.Register(scfwire.Timestamp{})
}

func fullInvoke() scfwire.Invoke {
	return scfwire.Invoke{
		Payload: []byte(`{"httpMethod":"GET"}`), RequestId: "req-1", TraceId: "trace-1",
		Deadline:              scfwire.Timestamp{Seconds: 1_800_000_000, Nanos: -999_999_999},
		InvokedFunctionUnique: "qcs::scf:ap-guangzhou:uin/1:namespace/default/function/f",
		ClientContext:         []byte(`{"a":1}`), Namespace: "default", FunctionName: "f", FunctionVersion: "$LATEST",
		MemoryLimitInMb: math.MaxInt32, TimeLimitInMs: math.MinInt32, Environment: `{"K":"V"}`,
		TencentcloudRegion: "ap-guangzhou", TencentcloudAppID: "1250000000", TencentcloudUin: "100000000001",
		FunctionTrace: strings.Repeat("t", 300),
	}
}

func futureValue(i int) futureInvoke {
	chain := &futureNode{Name: "a", Next: &futureNode{Name: "b", Next: &futureNode{Name: "c"}}}
	v := futureInvoke{
		Flag: true, Ratio: -1.5, Phase: complex(1, -2), Small: -8, Port: 65535,
		Labels: map[string]string{"a": "1", "": ""},
		Matrix: map[int][][]byte{-1: {{1, 2}, nil}, 7: nil},
		Tags:   []string{"x", "", "y"}, Grid: [3][2]int{{1, 2}, {0, 0}, {-3, 4}},
		Payload: []byte(fmt.Sprintf(`{"n":%d}`, i)),
		Frames:  []futureDeadline{{}, {Zone: "z", Leap: true}},
		Chain:   chain, When: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC),
		Binary:    futureBinary{[]byte{0, 1}},
		Any:       futureIface{A: 3, M: map[string]any{"n": -1, "s": "x", "b": []byte{1}, "nil": nil}},
		Deadline:  futureDeadline{Zone: "UTC", Seconds: 42, Leap: true, Nanos: 7},
		RequestId: fmt.Sprint("req-", i), Environment: "{}", TimeLimitInMs: 3000, FunctionTrace: "ft",
	}
	v.Nested.Inner = []map[string]*futureNode{{"k": chain}, {}}
	return v
}

// gobStream encodes values with encoding/gob on one stream.
func gobStream(t testing.TB, values ...any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := gob.NewEncoder(&b)
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// decodeBoth decodes the stream with encoding/gob and with gobDecoder into fresh values of
// the types of dsts (each *rpcRequest, *InvokeRequest, or nil to discard) and fails unless
// both agree, value by value.
func decodeBoth(t *testing.T, stream []byte, dsts ...gobStruct) {
	t.Helper()
	oracle := gob.NewDecoder(bytes.NewReader(stream))
	ours := newGobDecoder(bufio.NewReader(bytes.NewReader(stream)))
	for i, dst := range dsts {
		var want, got any
		var werr, gerr error
		if dst == nil {
			werr = oracle.DecodeValue(reflect.Value{})
			gerr = ours.discard()
		} else {
			w := reflect.New(reflect.TypeOf(dst).Elem()).Interface()
			werr = oracle.Decode(w)
			g := reflect.New(reflect.TypeOf(dst).Elem()).Interface().(gobStruct)
			gerr = ours.decode(g)
			want, got = w, g
		}
		if werr != nil || gerr != nil {
			t.Fatalf("value %d: encoding/gob: %v, ours: %v", i, werr, gerr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("value %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if err := ours.decode(new(rpcRequest)); err != io.EOF {
		t.Fatalf("after the stream: %v, want io.EOF", err)
	}
}

func TestGobDecode(t *testing.T) {
	hdr := func(seq uint64) clientRequest { return clientRequest{"Function.Invoke", seq} }
	t.Run("the runtime's header and request, several on one stream", func(t *testing.T) {
		full := fullInvoke()
		decodeBoth(t, gobStream(t, hdr(1), &full, hdr(math.MaxUint64), scfwire.Invoke{}, hdr(0), &full),
			new(rpcRequest), new(InvokeRequest), new(rpcRequest), new(InvokeRequest), new(rpcRequest), new(InvokeRequest))
	})
	t.Run("a future request: unknown fields of every kind are skipped, missing ones stay zero", func(t *testing.T) {
		decodeBoth(t, gobStream(t, hdr(1), futureValue(1), hdr(2), futureValue(2), hdr(3), futureInvoke{}),
			new(rpcRequest), new(InvokeRequest), new(rpcRequest), new(InvokeRequest), new(rpcRequest), new(InvokeRequest))
	})
	t.Run("an interface field with a type not yet sent spans messages", func(t *testing.T) {
		type withAny struct {
			Before string
			X      any
			After  []byte
		}
		type Payload struct{ Payload any } // an interface where ours has a []byte: refused
		stream := gobStream(t, withAny{"b", &futureNode{Name: "n", Next: &futureNode{}}, []byte("a")},
			withAny{X: []any{1, "s", nil}}, withAny{X: futureIface{A: 1}}, withAny{X: futureIface{}}, withAny{})
		decodeBoth(t, stream, nil, nil, nil, nil, nil)
		decodeBoth(t, gobStream(t, hdr(1), withAny{X: futureIface{M: map[string]any{"x": 1.5}}}, hdr(2)),
			new(rpcRequest), nil, new(rpcRequest))
		// Inside an interface value, an interface value of a type not yet sent is beyond
		// encoding/gob's own skipping (its decoder reads it only into a matching field).
		// The Go1 runtime cannot send one either: the reference library decodes with gob.
		nested := gobStream(t, withAny{X: []any{futureIface{A: 1}}})
		if err := gob.NewDecoder(bytes.NewReader(nested)).DecodeValue(reflect.Value{}); err == nil {
			t.Fatal("encoding/gob skips it now: skip it too")
		}
		if err := newGobDecoder(bufio.NewReader(bytes.NewReader(nested))).discard(); err == nil {
			t.Fatal("skipped what encoding/gob cannot")
		}
		ours := newGobDecoder(bufio.NewReader(bytes.NewReader(gobStream(t, Payload{[]byte("x")}))))
		if err := ours.decode(new(InvokeRequest)); err == nil {
			t.Fatal("an interface Payload decoded")
		}
	})
	t.Run("the argument of an unknown method is discarded, whatever its type", func(t *testing.T) {
		s := "x"
		decodeBoth(t, gobStream(t, hdr(1), 7, hdr(2), "s", hdr(3), map[string]int{"a": 1}, hdr(4), []futureNode{{}},
			hdr(5), &s, hdr(6), [2]bool{true}, hdr(7), futureValue(1), hdr(8), time.Now(), hdr(9), scfwire.Invoke{}),
			new(rpcRequest), nil, new(rpcRequest), nil, new(rpcRequest), nil, new(rpcRequest), nil,
			new(rpcRequest), nil, new(rpcRequest), nil, new(rpcRequest), nil, new(rpcRequest), nil, new(rpcRequest), nil)
	})
	t.Run("an empty struct reads any struct", func(t *testing.T) {
		stream := gobStream(t, struct{}{}, futureValue(1))
		ours := newGobDecoder(bufio.NewReader(bytes.NewReader(stream)))
		if err := ours.decode(nil); err != nil {
			t.Fatal(err)
		}
		if err := ours.decode(nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestGobDecodeErrors checks that what encoding/gob refuses is refused.
func TestGobDecodeErrors(t *testing.T) {
	type (
		stringPayload struct{ Payload string }
		bigLimit      struct{ MemoryLimitInMb int64 }
		intDeadline   struct{ Deadline int64 }
		signedSeq     struct{ Seq int64 }
		noMatch       struct{ Foo, Bar string }
		unsignedNanos struct {
			Deadline struct{ Nanos uint64 }
		}
		encodedDeadline struct{ Deadline time.Time }
	)
	tests := []struct {
		name  string
		value any
		into  gobStruct
	}{
		{"a string Payload", stringPayload{"x"}, new(InvokeRequest)},
		{"an int32 field out of range", bigLimit{math.MaxInt32 + 1}, new(InvokeRequest)},
		{"an int Deadline", intDeadline{1}, new(InvokeRequest)},
		{"a signed Seq", signedSeq{1}, new(rpcRequest)},
		{"no field in common", noMatch{"a", "b"}, new(InvokeRequest)},
		{"an unsigned field in a nested struct", unsignedNanos{}, new(InvokeRequest)},
		{"a GobEncoder where a struct is wanted", encodedDeadline{time.Now()}, new(InvokeRequest)},
		{"a value that is not a struct", "Function.Ping", new(rpcRequest)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error", func(t *testing.T) {
			stream := gobStream(t, tt.value)
			if err := gob.NewDecoder(bytes.NewReader(stream)).Decode(reflect.New(reflect.TypeOf(tt.into).Elem()).Interface()); err == nil {
				t.Fatal("encoding/gob accepts it: the case is wrong")
			}
			err := newGobDecoder(bufio.NewReader(bytes.NewReader(stream))).decode(tt.into)
			if err == nil {
				t.Fatalf("decoded %+v", tt.into)
			}
			t.Log(err)
		})
	}
	t.Run("a stream cut short is io.ErrUnexpectedEOF", func(t *testing.T) {
		stream := gobStream(t, fullInvoke())
		for _, n := range []int{1, 2, 10, len(stream) / 2, len(stream) - 1} {
			d := newGobDecoder(bufio.NewReader(bytes.NewReader(stream[:n])))
			if err := d.decode(new(InvokeRequest)); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("cut at %d: %v", n, err)
			}
		}
	})
	t.Run("limits", func(t *testing.T) {
		over := appendGobUint(nil, maxMessage+1)
		deep := &futureNode{}
		for range maxDepth + 1 { // maxDepth+2 nodes: the last at depth maxDepth+1
			deep = &futureNode{Next: deep}
		}
		for name, stream := range map[string][]byte{
			"a message over maxMessage": over,
			"values nested too deep":    gobStream(t, deep),
			"too many types":            manyTypes(maxTypes + 1),
		} {
			err := newGobDecoder(bufio.NewReader(bytes.NewReader(stream))).discard()
			if !errors.Is(err, errGobLimit) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if err := newGobDecoder(bufio.NewReader(bytes.NewReader(manyTypes(maxTypes - 1)))).discard(); err != nil {
			t.Errorf("%d types: %v", maxTypes-1, err)
		}
		if err := newGobDecoder(bufio.NewReader(bytes.NewReader(gobStream(t, deep.Next)))).discard(); err != nil {
			t.Errorf("%d deep: %v", maxDepth, err)
		}
	})
	t.Run("a length the bytes do not follow allocates only the first chunk", func(t *testing.T) {
		stream := append(appendGobUint(nil, maxMessage), make([]byte, 10)...)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := newGobDecoder(bufio.NewReader(bytes.NewReader(stream))).discard()
		runtime.ReadMemStats(&after)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatal(err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > maxMessage/4 {
			t.Fatalf("allocated %d bytes", n)
		}
	})
}

// manyTypes is a stream of n type definitions (slices of slices ... of int) and a value.
func manyTypes(n int) []byte {
	var b []byte
	for i := range n {
		id := int64(gobFirstUser + i)
		elem := id - 1
		if i == 0 {
			elem = gobInt
		}
		m := appendGobInt(nil, -id)
		m = append(m, 2, 1)
		m = appendCommonType(m, "s", id)
		m = append(m, 1)
		m = append(appendGobInt(m, elem), 0, 0)
		b = append(appendGobUint(b, uint64(len(m))), m...)
	}
	v := appendGobInt(nil, gobFirstUser)
	v = append(v, 0, 0) // a singleton empty slice
	return append(appendGobUint(b, uint64(len(v))), v...)
}

// TestGobFields checks that gobField hands out every field of the decoded types, and no other.
func TestGobFields(t *testing.T) {
	for _, v := range []gobStruct{new(rpcRequest), new(InvokeRequest), new(Timestamp)} {
		rv := reflect.ValueOf(v).Elem()
		for i := range rv.NumField() {
			f := rv.Type().Field(i)
			if got := v.gobField(f.Name); got != rv.Field(i).Addr().Interface() {
				t.Errorf("%T.gobField(%q) = %v", v, f.Name, got)
			}
			if got := v.gobField(strings.ToLower(f.Name)); got != nil {
				t.Errorf("%T.gobField(%q) = %v", v, strings.ToLower(f.Name), got)
			}
		}
	}
}

// TestGobEncode checks that encoding/gob reads the replies the encoder writes, types
// defined once per stream.
func TestGobEncode(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 200_000)
	replies := []struct {
		h    rpcResponse
		body any
	}{
		{rpcResponse{ServiceMethod: "Function.Ping", Seq: 0}, &PingResponse{}},
		{rpcResponse{ServiceMethod: "Function.Invoke", Seq: 1}, &InvokeResponse{Payload: []byte(`{"ok":true}`)}},
		{rpcResponse{ServiceMethod: "Function.Invoke", Seq: math.MaxUint64}, &InvokeResponse{}},
		{rpcResponse{ServiceMethod: "Function.Invoke", Seq: 300}, &InvokeResponse{Error: &InvokeError{}}},
		{rpcResponse{ServiceMethod: "Function.Invoke", Seq: 3}, &InvokeResponse{Payload: big, Error: &InvokeError{
			Message: "boom", Type: "panic", ShouldExit: true,
			StackTrace: []*StackFrame{{Path: "a.go", Line: 1, Label: "f"}, nil, {Line: math.MinInt32}, {Line: math.MaxInt32}}}}},
		{rpcResponse{ServiceMethod: "Function.Nope", Seq: 4, Error: "rpc: can't find method Function.Nope"}, nil},
		{rpcResponse{ServiceMethod: "Function.Ping", Seq: 5}, &PingResponse{}},
		{rpcResponse{ServiceMethod: "Function.Invoke", Seq: 6, Error: "broken"}, nil},
	}
	var out bytes.Buffer
	enc := newGobEncoder(bufio.NewWriter(&out))
	for _, r := range replies {
		if err := enc.reply(r.h, r.body); err != nil {
			t.Fatal(err)
		}
	}
	dec := gob.NewDecoder(&out)
	for i, r := range replies {
		var h clientResponse
		if err := dec.Decode(&h); err != nil {
			t.Fatalf("reply %d header: %v", i, err)
		}
		if h != (clientResponse{r.h.ServiceMethod, r.h.Seq, r.h.Error}) {
			t.Fatalf("reply %d header = %+v, want %+v", i, h, r.h)
		}
		switch body := r.body.(type) {
		case *InvokeResponse:
			var got InvokeResponse
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("reply %d body: %v", i, err)
			}
			if want := wantDecoded(body); !reflect.DeepEqual(&got, want) {
				t.Fatalf("reply %d body = %+v, want %+v", i, got, want)
			}
		case *PingResponse:
			if err := dec.Decode(new(PingResponse)); err != nil {
				t.Fatalf("reply %d body: %v", i, err)
			}
		default:
			if err := dec.DecodeValue(reflect.Value{}); err != nil {
				t.Fatalf("reply %d body: %v", i, err)
			}
		}
	}
	if out.Len() != 0 {
		t.Fatalf("%d bytes left", out.Len())
	}
	// Each type is defined once, in a message of its own before the first value needing it.
	out.Reset()
	enc = newGobEncoder(bufio.NewWriter(&out))
	for _, r := range append(replies, replies...) {
		if err := enc.reply(r.h, r.body); err != nil {
			t.Fatal(err)
		}
	}
	d := newGobDecoder(bufio.NewReader(&out))
	defined := map[int64]int{}
	for values := 0; ; {
		if err := d.readMessage(); err == io.EOF {
			if values != 4*len(replies) {
				t.Fatalf("%d values, want %d", values, 4*len(replies))
			}
			break
		} else if err != nil {
			t.Fatal(err)
		}
		id, _ := d.int()
		if id < 0 {
			defined[-id]++
			continue
		}
		if defined[id] != 1 {
			t.Fatalf("value %d of type %d defined %d times", values, id, defined[id])
		}
		values++
	}
	if len(defined) != numTypes {
		t.Fatalf("defined %v", defined)
	}
	for id, n := range defined {
		if n != 1 {
			t.Errorf("type %d defined %d times", id, n)
		}
	}
}

// wantDecoded is what encoding/gob reads back for resp: nil frames become zero frames, and
// an empty payload is nil.
func wantDecoded(resp *InvokeResponse) *InvokeResponse {
	out := &InvokeResponse{Payload: resp.Payload}
	if len(out.Payload) == 0 {
		out.Payload = nil
	}
	if e := resp.Error; e != nil {
		out.Error = &InvokeError{Message: e.Message, Type: e.Type, ShouldExit: e.ShouldExit}
		for _, f := range e.StackTrace {
			if f == nil {
				f = &StackFrame{}
			}
			out.Error.StackTrace = append(out.Error.StackTrace, f)
		}
	}
	return out
}

// FuzzGobDecode feeds arbitrary bytes to the decoder: it never panics, and whatever it
// decodes, encoding/gob decodes the same way.
func FuzzGobDecode(f *testing.F) {
	full := fullInvoke()
	f.Add(gobStream(f, clientRequest{"Function.Invoke", 1}, &full))
	f.Add(gobStream(f, clientRequest{"Function.Invoke", 1}, futureValue(1), clientRequest{"Function.Ping", 2}, struct{}{}))
	f.Add(gobStream(f, clientRequest{"Function.X", 1}, []any{futureIface{A: 1}}))
	f.Add(manyTypes(3))
	f.Fuzz(func(t *testing.T, stream []byte) {
		discard := newGobDecoder(bufio.NewReader(bytes.NewReader(stream)))
		for range 8 {
			if discard.discard() != nil {
				break
			}
		}
		ours := newGobDecoder(bufio.NewReader(bytes.NewReader(stream)))
		oracle := gob.NewDecoder(bytes.NewReader(stream))
		for i := range 8 {
			var got, want gobStruct = new(rpcRequest), new(rpcRequest)
			if i%2 == 1 {
				got, want = new(InvokeRequest), new(InvokeRequest)
			}
			err := ours.decode(got)
			if err != nil {
				return
			}
			if werr := oracleDecode(oracle, want); werr != nil {
				t.Fatalf("value %d: ours decoded %+v, encoding/gob: %v", i, got, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("value %d:\n got %+v\nwant %+v", i, got, want)
			}
		}
	})
}

func oracleDecode(dec *gob.Decoder, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return dec.Decode(v)
}

// FuzzGobRoundTrip checks values both ways: requests encoding/gob encodes decode to what
// encoding/gob decodes, and responses ours encodes decode with encoding/gob to the values.
func FuzzGobRoundTrip(f *testing.F) {
	f.Add([]byte("payload"), "req", int64(1), int64(-1), int32(128), uint64(1<<40), true, "msg")
	f.Add([]byte{}, "", int64(0), int64(0), int32(0), uint64(0), false, "")
	f.Fuzz(func(t *testing.T, payload []byte, s string, sec, nanos int64, n32 int32, seq uint64, flag bool, msg string) {
		req := scfwire.Invoke{Payload: payload, RequestId: s, TraceId: msg, Deadline: scfwire.Timestamp{Seconds: sec, Nanos: nanos},
			ClientContext: payload, MemoryLimitInMb: n32, TimeLimitInMs: -n32, Environment: s, FunctionTrace: msg}
		fut := futureValue(int(n32))
		fut.Payload, fut.RequestId, fut.Flag, fut.Deadline.Nanos, fut.TimeLimitInMs = payload, s, flag, nanos, int64(n32)
		fut.Labels = map[string]string{s: msg}
		decodeBoth(t, gobStream(t, clientRequest{s, seq}, &req, clientRequest{msg, seq}, fut),
			new(rpcRequest), new(InvokeRequest), new(rpcRequest), new(InvokeRequest))

		resp := &InvokeResponse{Payload: payload}
		if flag || msg != "" {
			resp.Error = &InvokeError{Message: msg, Type: s, ShouldExit: flag}
			for i := range int(uint32(n32) % 4) {
				resp.Error.StackTrace = append(resp.Error.StackTrace, &StackFrame{Path: s, Line: n32 + int32(i), Label: msg})
			}
		}
		var out bytes.Buffer
		enc := newGobEncoder(bufio.NewWriter(&out))
		dec := gob.NewDecoder(&out)
		for range 2 {
			if err := enc.reply(rpcResponse{ServiceMethod: s, Seq: seq, Error: msg}, resp); err != nil {
				t.Fatal(err)
			}
			var h clientResponse
			var got InvokeResponse
			if err := dec.Decode(&h); err != nil || h != (clientResponse{s, seq, msg}) {
				t.Fatalf("header %+v: %v", h, err)
			}
			if err := dec.Decode(&got); err != nil || !reflect.DeepEqual(&got, wantDecoded(resp)) {
				t.Fatalf("body %+v: %v", got, err)
			}
		}
	})
}
