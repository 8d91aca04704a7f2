package scf

import (
	"bufio"
	"math/bits"
)

// The type ids of the server's stream: ours to choose, since gob maps them per stream.
const (
	idResponse = gobFirstUser + iota
	idPingResponse
	idNoReply
	idInvokeResponse
	idInvokeError
	idStackTrace
	idStackFrame
	numTypes = iota
)

// gobTypeDef is one of the types the server sends, defined as encoding/gob would define
// the Go type: a struct's fields in declaration order, or a slice's element.
type gobTypeDef struct {
	name   string
	elem   int64 // a slice's element type; 0 for a struct
	fields []gobFieldType
}

var gobTypeDefs = [numTypes]gobTypeDef{
	idResponse - gobFirstUser:     {name: "rpcResponse", fields: []gobFieldType{{"ServiceMethod", gobString}, {"Seq", gobUint}, {"Error", gobString}}},
	idPingResponse - gobFirstUser: {name: "PingResponse"},
	idNoReply - gobFirstUser:      {name: "noReply"},
	idInvokeResponse - gobFirstUser: {name: "InvokeResponse", fields: []gobFieldType{
		{"Payload", gobBytes}, {"Error", idInvokeError}}},
	idInvokeError - gobFirstUser: {name: "InvokeError", fields: []gobFieldType{
		{"Message", gobString}, {"Type", gobString}, {"StackTrace", idStackTrace}, {"ShouldExit", gobBool}}},
	idStackTrace - gobFirstUser: {name: "[]*StackFrame", elem: idStackFrame},
	idStackFrame - gobFirstUser: {name: "StackFrame", fields: []gobFieldType{
		{"Path", gobString}, {"Line", gobInt}, {"Label", gobString}}},
}

// gobEncoder writes the server's messages on one stream: each type's definition once,
// before the first value that needs it, as encoding/gob does.
type gobEncoder struct {
	w    *bufio.Writer
	sent [numTypes]bool
	buf  []byte
}

func newGobEncoder(w *bufio.Writer) *gobEncoder { return &gobEncoder{w: w} }

// reply writes a response header and its body (*PingResponse, *InvokeResponse, or nil for
// the empty body after an error) and flushes them.
func (e *gobEncoder) reply(h rpcResponse, body any) error {
	e.define(idResponse)
	s := e.value(idResponse)
	s.string(0, h.ServiceMethod)
	s.uint(1, h.Seq)
	s.string(2, h.Error)
	e.buf = append(s.b, 0)
	e.write(nil, nil)

	switch body := body.(type) {
	case *PingResponse:
		e.define(idPingResponse)
		e.buf = append(e.value(idPingResponse).b, 0)
		e.write(nil, nil)
	case *InvokeResponse:
		e.define(idInvokeResponse, idInvokeError, idStackTrace, idStackFrame)
		s := e.value(idInvokeResponse)
		if len(body.Payload) > 0 {
			s.field(0)
			s.b = appendGobUint(s.b, uint64(len(body.Payload)))
		}
		head := len(s.b)
		if body.Error != nil {
			s.field(1)
			s.b = appendInvokeError(s.b, body.Error)
		}
		e.buf = append(s.b, 0)
		e.write(e.buf[head:], body.Payload) // the payload is written, not copied
	default:
		e.define(idNoReply)
		e.buf = append(e.value(idNoReply).b, 0)
		e.write(nil, nil)
	}
	return e.w.Flush()
}

// define sends the definitions of the types not yet sent.
func (e *gobEncoder) define(ids ...int64) {
	for _, id := range ids {
		if e.sent[id-gobFirstUser] {
			continue
		}
		e.sent[id-gobFirstUser] = true
		t := &gobTypeDefs[id-gobFirstUser]
		b := appendGobInt(e.buf[:0], -id)
		if t.elem != 0 {
			b = append(b, 2, 1) // wireType.SliceT, its CommonType
			b = appendCommonType(b, t.name, id)
			b = append(b, 1) // sliceType.Elem
			b = appendGobInt(b, t.elem)
			b = append(b, 0, 0) // end of sliceType, of wireType
		} else {
			b = append(b, 3, 1) // wireType.StructT, its CommonType
			b = appendCommonType(b, t.name, id)
			if len(t.fields) > 0 {
				b = append(b, 1) // structType.Field
				b = appendGobUint(b, uint64(len(t.fields)))
				for _, f := range t.fields {
					b = append(b, 1) // fieldType.Name
					b = appendGobString(b, f.name)
					b = append(b, 1) // fieldType.Id
					b = append(appendGobInt(b, f.id), 0)
				}
			}
			b = append(b, 0, 0) // end of structType, of wireType
		}
		e.buf = b
		e.write(nil, nil)
	}
}

// value starts a message with a value of type id in e.buf.
func (e *gobEncoder) value(id int64) gobStructWriter {
	return gobStructWriter{b: appendGobInt(e.buf[:0], id), last: -1}
}

// write writes one message: e.buf without its tail, then mid, then tail (the end of e.buf).
// The bufio.Writer keeps the first write error for the Flush that ends the reply.
func (e *gobEncoder) write(tail, mid []byte) {
	var n [9]byte
	e.w.Write(appendGobUint(n[:0], uint64(len(e.buf)+len(mid))))
	e.w.Write(e.buf[:len(e.buf)-len(tail)])
	e.w.Write(mid)
	e.w.Write(tail)
}

func appendCommonType(b []byte, name string, id int64) []byte {
	b = append(b, 1) // CommonType.Name
	b = appendGobString(b, name)
	b = append(b, 1) // CommonType.Id
	return append(appendGobInt(b, id), 0)
}

func appendInvokeError(b []byte, ie *InvokeError) []byte {
	s := gobStructWriter{b: b, last: -1}
	s.string(0, ie.Message)
	s.string(1, ie.Type)
	if len(ie.StackTrace) > 0 {
		s.field(2)
		s.b = appendGobUint(s.b, uint64(len(ie.StackTrace)))
		for _, f := range ie.StackTrace {
			fs := gobStructWriter{b: s.b, last: -1}
			if f != nil { // encoding/gob refuses a nil element; it is sent as a zero frame
				fs.string(0, f.Path)
				fs.int(1, int64(f.Line))
				fs.string(2, f.Label)
			}
			s.b = append(fs.b, 0)
		}
	}
	if ie.ShouldExit {
		s.field(3)
		s.b = append(s.b, 1)
	}
	return append(s.b, 0)
}

// gobStructWriter appends a struct's fields in order, leaving out zero values.
type gobStructWriter struct {
	b    []byte
	last int
}

func (s *gobStructWriter) field(n int) {
	s.b = appendGobUint(s.b, uint64(n-s.last))
	s.last = n
}

func (s *gobStructWriter) string(n int, v string) {
	if v != "" {
		s.field(n)
		s.b = appendGobString(s.b, v)
	}
}

func (s *gobStructWriter) uint(n int, v uint64) {
	if v != 0 {
		s.field(n)
		s.b = appendGobUint(s.b, v)
	}
}

func (s *gobStructWriter) int(n int, v int64) {
	if v != 0 {
		s.field(n)
		s.b = appendGobInt(s.b, v)
	}
}

func appendGobUint(b []byte, x uint64) []byte {
	if x < 0x80 {
		return append(b, byte(x))
	}
	n := 8 - bits.LeadingZeros64(x)/8
	b = append(b, byte(-n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(x>>(8*i)))
	}
	return b
}

func appendGobInt(b []byte, i int64) []byte {
	if i < 0 {
		return appendGobUint(b, uint64(^i)<<1|1)
	}
	return appendGobUint(b, uint64(i)<<1)
}

func appendGobString(b []byte, s string) []byte {
	return append(appendGobUint(b, uint64(len(s))), s...)
}
