package scf

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
)

// The runtime speaks Go's net/rpc protocol with its default gob codec. kafkafn implements that
// wire protocol here instead of importing net/rpc, because net/rpc links html/template for
// its debug page, and text/template's reflective method calls stop the linker from dropping
// unused methods program-wide: about 2.4 MB of every binary (docs/performance.md).
//
// The gob codec is hand-written too (gob.go, gob_decode.go, gob_encode.go): encoding/gob cost
// 192–256 KiB of every stripped linux/arm64 route binary (produce 9,306,274 → 9,044,130 bytes
// with -tags lambda.norpc,nethttpomithttp2) and runs reflection-heavy init, for five small
// message types. The decoder reads whatever a gob encoder sends for them: type definitions,
// fields matched by name, unknown fields of every gob kind skipped as encoding/gob skips them,
// within limits on message size, nesting and type count (gob.go). The encoder defines each
// reply type once per connection before its first value, as encoding/gob does. Both are
// tested against encoding/gob and net/rpc (test-only imports).
//
// On one connection the client sends, gob-encoded on one stream, a request header followed
// by the argument; the server answers a response header followed by the reply (an empty
// struct when the header carries an error). Calls may overlap; replies are written whole,
// one at a time, in any order, matched by Seq. gob matches fields by name, so these types
// are wire-compatible with net/rpc's Request and Response.

type rpcRequest struct {
	ServiceMethod string
	Seq           uint64
}

type rpcResponse struct {
	ServiceMethod string
	Seq           uint64
	Error         string
}

// noReply is the body sent after an error header, as net/rpc does.
type noReply struct{}

// serveConn serves the calls of one runtime connection until it closes.
func serveConn(conn io.ReadWriteCloser, fn *Function) {
	defer conn.Close()
	dec := newGobDecoder(bufio.NewReader(conn))
	enc := newGobEncoder(bufio.NewWriter(conn))
	var mu sync.Mutex
	var calls sync.WaitGroup
	defer calls.Wait()
	reply := func(h rpcRequest, body any, errText string) {
		mu.Lock()
		defer mu.Unlock()
		if errText != "" {
			body = noReply{}
		}
		if err := enc.reply(rpcResponse{ServiceMethod: h.ServiceMethod, Seq: h.Seq, Error: errText}, body); err != nil {
			slog.Warn("scf: write reply", "method", h.ServiceMethod, "err", err)
			conn.Close()
		}
	}
	for {
		var h rpcRequest
		if err := dec.decode(&h); err != nil {
			if err != io.EOF && !isClosed(err) {
				slog.Warn("scf: read request header", "err", err)
			}
			return
		}
		switch h.ServiceMethod {
		case "Function.Ping":
			if err := dec.decode(nil); err != nil { // PingRequest, an empty struct
				return
			}
			var resp PingResponse
			reply(h, &resp, errText(fn.Ping(&PingRequest{}, &resp)))
		case "Function.Invoke":
			req := new(InvokeRequest)
			if err := dec.decode(req); err != nil {
				slog.Warn("scf: read invoke request", "err", err)
				return
			}
			calls.Add(1)
			go func() {
				defer calls.Done()
				resp := new(InvokeResponse)
				reply(h, resp, errText(fn.Invoke(req, resp)))
			}()
		default:
			if err := dec.discard(); err != nil { // the argument
				return
			}
			reply(h, nil, "rpc: can't find method "+h.ServiceMethod)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func isClosed(err error) bool {
	var ne *net.OpError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}
