package scf

// The wire messages of the SCF Go1 runtime. gob matches struct fields by name; the type
// names are ours.

// PingRequest is the argument of Function.Ping.
type PingRequest struct{}

// PingResponse is the reply of Function.Ping.
type PingResponse struct{}

// Timestamp is a protobuf-style time.
type Timestamp struct {
	Seconds int64
	Nanos   int64
}

// InvokeRequest is the argument of Function.Invoke.
type InvokeRequest struct {
	Payload               []byte
	RequestId             string //nolint:revive,staticcheck // wire field name
	TraceId               string //nolint:revive,staticcheck // wire field name
	Deadline              Timestamp
	InvokedFunctionUnique string
	ClientContext         []byte
	Namespace             string
	FunctionName          string
	FunctionVersion       string
	MemoryLimitInMb       int32
	TimeLimitInMs         int32
	Environment           string // JSON object of string values
	TencentcloudRegion    string
	TencentcloudAppID     string
	TencentcloudUin       string
	FunctionTrace         string
}

// InvokeResponse is the reply of Function.Invoke.
type InvokeResponse struct {
	Payload []byte
	Error   *InvokeError
}

// InvokeError reports a failed invocation.
type InvokeError struct {
	Message    string
	Type       string
	StackTrace []*StackFrame
	ShouldExit bool
}

// StackFrame is one frame of InvokeError.StackTrace.
type StackFrame struct {
	Path  string
	Line  int32
	Label string
}
