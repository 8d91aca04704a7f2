package scf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Platform is the name this adapter reports in platform.Env, Invocation and TimerEvent.
const Platform = "scf"

// PortEnv is the variable the SCF Go1 runtime sets to the port the binary must serve.
const PortEnv = "_LAMBDA_SERVER_PORT"

// Start serves the SCF runtime contract on 0.0.0.0:$_LAMBDA_SERVER_PORT until ctx is done.
func Start(ctx context.Context, name string, getenv func(string) string, build platform.BuildFunc) error {
	port := getenv(PortEnv)
	ln, err := net.Listen("tcp", net.JoinHostPort("0.0.0.0", port))
	if err != nil {
		return fmt.Errorf("scf: listen on port %q: %w", port, err)
	}
	fn := New(ctx, getenv, build)
	fn.name = name
	defer fn.Close()
	slog.Info("scf: serving the Go1 runtime contract", "function", name, "addr", ln.Addr().String())
	return Serve(ctx, ln, fn)
}

// Serve accepts runtime connections on ln until ctx is done, then closes ln.
func Serve(ctx context.Context, ln net.Listener, fn *Function) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("scf: accept: %w", err)
		}
		go serveConn(conn, fn)
	}
}

// Function is the RPC service "Function". Its exported methods are the runtime contract.
type Function struct {
	ctx    context.Context
	getenv func(string) string
	build  platform.BuildFunc
	name   string // the binary's name, for platform.Env

	once sync.Once
	app  platform.App
	err  error
}

// New returns the service; the App is built on the first Invoke.
func New(ctx context.Context, getenv func(string) string, build platform.BuildFunc) *Function {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Function{ctx: context.WithoutCancel(ctx), getenv: getenv, build: build}
}

// Close releases the App, if it was built.
func (f *Function) Close() {
	f.once.Do(func() { f.err = errors.New("scf: closed") })
	if f.err == nil && f.app.Close != nil {
		f.app.Close()
	}
}

// Ping answers the runtime's liveness probe.
func (f *Function) Ping(_ *PingRequest, _ *PingResponse) error { return nil }

// Invoke runs one invocation. The RPC call itself fails only for broken plumbing; handler
// failures travel in resp.Error.
func (f *Function) Invoke(req *InvokeRequest, resp *InvokeResponse) (err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("scf: panic in invoke", "request_id", req.RequestId, "panic", p, "stack", string(debug.Stack()))
			*resp = InvokeResponse{Error: &InvokeError{
				Message:    fmt.Sprintf("scf: invoke: panic: %v", p),
				Type:       "panic",
				ShouldExit: true,
			}}
			err = nil
		}
	}()
	app, err := f.appFor(req)
	if err != nil {
		*resp = InvokeResponse{Error: &InvokeError{Message: err.Error(), Type: "BuildError", ShouldExit: true}}
		return nil
	}
	ctx, cancel := invokeContext(f.ctx, req)
	defer cancel()
	out, err := handle(ctx, app, req)
	if err != nil {
		*resp = InvokeResponse{Error: &InvokeError{Message: err.Error(), Type: errorType(err)}}
		return nil
	}
	*resp = InvokeResponse{Payload: out}
	return nil
}

// appFor builds the App once, with the first invocation's Environment overlaid on the
// process environment.
func (f *Function) appFor(req *InvokeRequest) (platform.App, error) {
	f.once.Do(func() {
		overlay, err := decodeEnvironment(req.Environment)
		if err != nil {
			f.err = err
			return
		}
		base := f.getenv
		getenv := func(k string) string {
			if v, ok := overlay[k]; ok {
				return v
			}
			return base(k)
		}
		f.app, f.err = f.build(f.ctx, platform.Env{Getenv: getenv, Platform: Platform, Name: f.name})
		if f.err != nil {
			f.err = fmt.Errorf("scf: build: %w", f.err)
		}
	})
	return f.app, f.err
}

func decodeEnvironment(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, apierr.Wrap(apierr.Invalid, "invalid_environment", "scf: invoke: the request's Environment is not a JSON object of strings", err)
	}
	return m, nil
}

func invokeContext(base context.Context, req *InvokeRequest) (context.Context, context.CancelFunc) {
	switch {
	case req.Deadline.Seconds != 0 || req.Deadline.Nanos != 0:
		return context.WithDeadline(base, time.Unix(req.Deadline.Seconds, req.Deadline.Nanos))
	case req.TimeLimitInMs > 0:
		return context.WithTimeout(base, time.Duration(req.TimeLimitInMs)*time.Millisecond)
	default:
		return context.WithCancel(base)
	}
}

func errorType(err error) string {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
