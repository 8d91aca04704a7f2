package scf

import "errors"

// The subset of the gob format (encoding/gob's package documentation, "Encoding Details")
// that the Go1 runtime's net/rpc messages use. wire.go says why it is written by hand.
//
// A stream is a sequence of messages, each a byte count followed by that many bytes. A
// message holds either one type definition (the negated type id, then a wireType value
// describing the type) or one value (its type id, then the value). Unsigned integers take
// one byte below 128, otherwise a negated byte count and the big-endian bytes; signed
// integers carry the sign in bit 0 (complemented when set). A struct is a sequence of
// (field number delta, value) pairs ended by a zero delta; zero-valued fields are left
// out. A top-level value that is not a struct is sent as a zero delta and the value.

// The type ids the format predefines. User types start at gobFirstUser (encoding/gob's
// firstUserId; the example in its documentation starts at 65).
const (
	gobBool      = 1
	gobInt       = 2
	gobUint      = 3
	gobFloat     = 4
	gobBytes     = 5
	gobString    = 6
	gobComplex   = 7
	gobInterface = 8
	gobFirstUser = 64
)

// gobKind is the kind of a user type, one per field of gob's wireType.
type gobKind uint8

const (
	kindArray gobKind = iota + 1
	kindSlice
	kindStruct
	kindMap
	kindMarshaled // GobEncoder, BinaryMarshaler or TextMarshaler: a byte string on the wire
)

// gobType is a user type defined on a stream.
type gobType struct {
	kind   gobKind
	name   string
	elem   int64 // array, slice and map element type
	key    int64 // map key type
	len    int64 // array length
	fields []gobFieldType
}

// gobFieldType is one field of a struct type: its name and type id.
type gobFieldType struct {
	name string
	id   int64
}

// Limits on what a peer may send on one connection. An SCF event is at most the platform's
// 6 MB synchronous request; maxMessage leaves room for the rest of the InvokeRequest and for
// any encoding of a body the routes accept by default (HTTP_MAX_BODY_BYTES, 6 MiB: base64
// or JSON-escaped), and a message over 1 MiB is only allocated in full once its first MiB
// has arrived. The real runtime defines three types per connection, two levels deep.
const (
	maxMessage   = 32 << 20
	firstChunk   = 1 << 20
	maxDepth     = 64      // nesting of values and of type definitions
	maxTypes     = 256     // type definitions per connection
	maxTypeBytes = 1 << 20 // their names and fields, in total
)

// errGobLimit marks errors caused by the limits above.
var errGobLimit = errors.New("limit exceeded")

// A gobStruct is a local struct the decoder fills by field name.
type gobStruct interface {
	// gobField returns a pointer to the field called name (a *string, *[]byte, *int64,
	// *int32, *uint64, or a gobStruct for a nested struct), or nil if there is none.
	gobField(name string) any
}

func (h *rpcRequest) gobField(name string) any {
	switch name {
	case "ServiceMethod":
		return &h.ServiceMethod
	case "Seq":
		return &h.Seq
	}
	return nil
}

func (t *Timestamp) gobField(name string) any {
	switch name {
	case "Seconds":
		return &t.Seconds
	case "Nanos":
		return &t.Nanos
	}
	return nil
}

func (r *InvokeRequest) gobField(name string) any {
	switch name {
	case "Payload":
		return &r.Payload
	case "RequestId":
		return &r.RequestId
	case "TraceId":
		return &r.TraceId
	case "Deadline":
		return &r.Deadline
	case "InvokedFunctionUnique":
		return &r.InvokedFunctionUnique
	case "ClientContext":
		return &r.ClientContext
	case "Namespace":
		return &r.Namespace
	case "FunctionName":
		return &r.FunctionName
	case "FunctionVersion":
		return &r.FunctionVersion
	case "MemoryLimitInMb":
		return &r.MemoryLimitInMb
	case "TimeLimitInMs":
		return &r.TimeLimitInMs
	case "Environment":
		return &r.Environment
	case "TencentcloudRegion":
		return &r.TencentcloudRegion
	case "TencentcloudAppID":
		return &r.TencentcloudAppID
	case "TencentcloudUin":
		return &r.TencentcloudUin
	case "FunctionTrace":
		return &r.FunctionTrace
	}
	return nil
}
