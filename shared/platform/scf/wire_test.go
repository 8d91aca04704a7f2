package scf_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

// TestWireProtocol drives the adapter's own implementation of the net/rpc gob protocol with
// Go's net/rpc client, as the SCF runtime does.
func TestWireProtocol(t *testing.T) {
	c := serve(t, noenv, echo.Build)
	t.Run("an unknown method is an RPC error and the connection stays usable", func(t *testing.T) {
		err := c.Call("Function.Nope", &scf.PingRequest{}, &scf.PingResponse{})
		if err == nil || !strings.Contains(err.Error(), "can't find method Function.Nope") {
			t.Fatalf("err = %v", err)
		}
		if err := c.Call("Function.Ping", &scf.PingRequest{}, &scf.PingResponse{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("overlapping invokes on one connection are each answered", func(t *testing.T) {
		const n = 16
		calls := make([]*scf.InvokeResponse, n)
		done := make(chan error, n)
		for i := range n {
			calls[i] = new(scf.InvokeResponse)
			req := &scf.InvokeRequest{Payload: apigw("GET", fmt.Sprintf("/echo/%d", i)), Deadline: deadlineIn(time.Minute), RequestId: fmt.Sprint(i)}
			call := c.Go("Function.Invoke", req, calls[i], nil)
			go func() { <-call.Done; done <- call.Error }()
		}
		for range n {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		for i, resp := range calls {
			r, body := httpResp(t, *resp)
			if r.StatusCode != 200 || !strings.Contains(string(body), fmt.Sprintf("/echo/%d", i)) {
				t.Errorf("call %d: %d %s", i, r.StatusCode, body)
			}
		}
	})
}

// futureInvoke is the request of a future runtime: new fields of kinds the adapter does not
// decode (a map, a bool, a float, a slice of structs, an interface, a GobEncoder) around
// the known ones, which gob matches by name.
type futureInvoke struct {
	Labels    map[string]string
	Payload   []byte
	Sampled   bool
	Ratio     float64
	Frames    []struct{ Path string }
	Extra     any
	RequestId string //nolint:revive,staticcheck // wire field name
	Sent      time.Time
	Deadline  struct {
		Zone           string
		Seconds, Nanos int64
	}
}

// TestWireFutureRuntime drives the adapter with a net/rpc client over TCP whose messages
// have fields the adapter does not know.
func TestWireFutureRuntime(t *testing.T) {
	c := serve(t, noenv, echo.Build)
	dl := deadlineIn(time.Minute)
	for i := range 3 { // the types are defined on the first call only
		req := futureInvoke{
			Labels: map[string]string{"a": "b"}, Payload: apigw("GET", fmt.Sprintf("/echo/%d", i)), Sampled: true, Ratio: 0.5,
			Frames: []struct{ Path string }{{"x"}}, Extra: 42, RequestId: fmt.Sprint("future-", i), Sent: time.Now(),
		}
		req.Deadline.Zone, req.Deadline.Seconds, req.Deadline.Nanos = "UTC", dl.Seconds, dl.Nanos
		var resp scf.InvokeResponse
		if err := c.Call("Function.Invoke", &req, &resp); err != nil {
			t.Fatal(err)
		}
		r, body := httpResp(t, resp)
		if r.StatusCode != 200 || !strings.Contains(string(body), fmt.Sprintf(`"path":"/echo/%d"`, i)) {
			t.Fatalf("call %d: %d %s", i, r.StatusCode, body)
		}
		if !strings.Contains(string(body), `"hasDeadline":true`) {
			t.Fatalf("call %d: the Deadline was not read: %s", i, body)
		}
	}
}

// TestWireRefusesMalformedStreams checks that a connection sending what the protocol does
// not allow is closed, and that the listener keeps serving others.
func TestWireRefusesMalformedStreams(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fn := scf.New(ctx, noenv, echo.Build)
	defer fn.Close()
	go scf.Serve(ctx, ln, fn) //nolint:errcheck // ends with ctx
	for name, stream := range map[string][]byte{
		"a message over the limit":      {0xfc, 0x40, 0x00, 0x00, 0x00}, // 1 GiB
		"garbage":                       []byte("\x05GET /"),            // a type definition of a reserved id
		"a header that is not a struct": gobBytes(t, "Function.Ping"),
	} {
		t.Run(name+" closes the connection", func(t *testing.T) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(stream); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // a fresh conn
			if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("read %d bytes, %v; want io.EOF", n, err)
			}
		})
	}
	c, err := rpc.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Call("Function.Ping", &scf.PingRequest{}, &scf.PingResponse{}); err != nil {
		t.Fatal(err)
	}
}

func gobBytes(t *testing.T, v any) []byte {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
