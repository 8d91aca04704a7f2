// Package scfwire declares the SCF Go1 runtime's Function.Invoke argument and reply as the
// runtime's Go net/rpc client declares them, independently of shared/platform/scf's own types
// (rpc.go). gob matches struct fields by name, so a test that encodes these values proves that
// package scf and the binaries speak the wire contract, not merely our Go types. Test support
// only.
package scfwire

// Timestamp is the invoke deadline, protobuf style.
type Timestamp struct{ Seconds, Nanos int64 }

// Invoke is the argument of Function.Invoke.
type Invoke struct {
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
	Environment           string
	TencentcloudRegion    string
	TencentcloudAppID     string
	TencentcloudUin       string
	FunctionTrace         string
}

// Response is the reply of Function.Invoke: the handler's payload, or the error the runtime
// records (ShouldExit: the runtime restarts the process).
type Response struct {
	Payload []byte
	Error   *struct {
		Message    string
		Type       string
		ShouldExit bool
	}
}
