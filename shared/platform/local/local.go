// Package local serves an App as a plain HTTP server: local development, SCF web functions
// (scf_bootstrap on 0.0.0.0:9000) and any host that forwards HTTP.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/kafkafn/kafkafn/shared/platform"
)

// Addr returns the listen address from ADDR, else 127.0.0.1:$PORT, else 127.0.0.1:8080. A
// value that is not a host:port or a port number is an error naming its variable (rather than
// the resolver's "lookup tcp/abc: unknown port" at listen time).
func Addr(getenv func(string) string) (string, error) {
	if a := getenv("ADDR"); a != "" {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			return "", fmt.Errorf("local: ADDR: %q is not host:port (for example 127.0.0.1:8080 or :8080)", a)
		}
		if err := CheckPort("ADDR", port); err != nil {
			return "", err
		}
		return a, nil
	}
	if p := getenv("PORT"); p != "" {
		if err := CheckPort("PORT", p); err != nil {
			return "", err
		}
		return "127.0.0.1:" + p, nil
	}
	return "127.0.0.1:8080", nil
}

// CheckPort returns an error naming the variable env when port is not a TCP port number
// (0 to 65535; 0 asks the kernel for a free port).
func CheckPort(env, port string) error {
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || strconv.FormatUint(n, 10) != port {
		return fmt.Errorf("local: %s: %q is not a port number (0-65535)", env, port)
	}
	return nil
}

// IsLoopback reports whether addr (host:port) listens only on loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Run builds the app, listens on addr and serves until ctx is done, then shuts down
// gracefully. ready, if not nil, is called with the bound address once the listener is open.
func Run(ctx context.Context, addr, name string, env platform.Env, build platform.BuildFunc, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("local: listen %s: %w", addr, err)
	}
	defer ln.Close()
	app, err := build(ctx, env)
	if err != nil {
		return err
	}
	if app.Close != nil {
		defer app.Close()
	}
	return Serve(ctx, ln, app.HTTP, name, ready)
}

// Serve serves h on ln until ctx is done.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, name string, ready func(net.Addr)) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	slog.Info("listening", "addr", "http://"+ln.Addr().String())
	if ready != nil {
		ready(ln.Addr())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
