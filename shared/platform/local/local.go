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
	"time"

	"github.com/kafkafn/kafkafn/shared/platform"
)

// Addr returns the listen address from ADDR, else 127.0.0.1:$PORT, else 127.0.0.1:8080.
func Addr(getenv func(string) string) string {
	if a := getenv("ADDR"); a != "" {
		return a
	}
	if p := getenv("PORT"); p != "" {
		return "127.0.0.1:" + p
	}
	return "127.0.0.1:8080"
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
