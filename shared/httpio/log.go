package httpio

import (
	"context"
	"log/slog"
)

// NewLogHandler wraps h so that every record logged with the context of a request served by
// Serve (slog.InfoContext(r.Context(), …), logger.Log(ctx, …)) carries that request's
// request_id and, when the request had a valid traceparent, its trace_id. launch installs
// it around the process's JSON handler; Serve wraps the logger it is given. Wrapping twice
// is a no-op. Cost: one context lookup per record; records without a request context pass
// through untouched.
func NewLogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(logHandler); ok {
		return h
	}
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

const (
	requestIDKey = "request_id"
	traceIDKey   = "trace_id"
)

func (h logHandler) Handle(ctx context.Context, rec slog.Record) error {
	if n := noteFrom(ctx); n != nil && n.requestID != "" && !hasAttr(rec, requestIDKey) {
		rec = rec.Clone()
		rec.AddAttrs(slog.String(requestIDKey, n.requestID))
		if n.traceID != "" {
			rec.AddAttrs(slog.String(traceIDKey, n.traceID))
		}
	}
	return h.Handler.Handle(ctx, rec)
}

// hasAttr reports whether rec already names key (Serve's request line does, to save the
// record copy).
func hasAttr(rec slog.Record, key string) bool {
	found := false
	rec.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}
