package scf_test

import (
	"fmt"
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
