package httpio

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

type logNoteKey struct{}

// logNote collects what a handler wants on the request's log line.
type logNote struct {
	err error
}

// NoteError attaches err to the request's log line without writing a response.
func NoteError(r *http.Request, err error) {
	if r == nil {
		return
	}
	if n, ok := r.Context().Value(logNoteKey{}).(*logNote); ok {
		n.err = err
	}
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Serve wraps mux for production use: every request is logged once (route pattern, topic,
// status, duration, and the internal error if any; never headers or bodies), a panic becomes
// a JSON 500 and the process lives on, and the mux's own plain-text 404 and 405 answers
// become JSON errors. With WithBodyBudget, request bodies in flight are bounded and must
// arrive in time; with WithResponseBudget, so is the record data held for answers.
func Serve(mux *http.ServeMux, log *slog.Logger, opts ...Option) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	var o serveOptions
	for _, opt := range opts {
		opt(&o)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		note := &logNote{}
		r = r.WithContext(context.WithValue(r.Context(), logNoteKey{}, note))
		rec := &statusRecorder{ResponseWriter: w}
		_, pattern := mux.Handler(r)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic serving request", "route", pattern, "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					WriteJSON(rec, http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: "internal", Message: "internal error"}})
				}
			}
			attrs := []any{
				"method", r.Method, "route", pattern, "status", rec.status,
				"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "bytes", rec.bytes,
			}
			if topic := r.PathValue("topic"); topic != "" {
				attrs = append(attrs, "topic", topic)
			}
			level := slog.LevelInfo
			if note.err != nil {
				attrs = append(attrs, "err", note.err.Error())
				if rec.status >= 500 {
					level = slog.LevelError
				}
			}
			log.Log(r.Context(), level, "request", attrs...)
		}()
		if pattern == "" {
			serveFallback(mux, rec, r)
			return
		}
		if o.write > 0 {
			// Unsupported for answers recorded in memory (Lambda, SCF events).
			_ = http.NewResponseController(rec).SetWriteDeadline(start.Add(o.write))
		}
		if o.body != nil {
			var body *budgetBody
			if r, body = o.body.wrap(rec, r); body != nil {
				defer body.release()
			}
		}
		if o.response != nil {
			h := &Hold{b: o.response}
			r = r.WithContext(context.WithValue(r.Context(), holdKey{}, h))
			defer h.release()
		}
		mux.ServeHTTP(rec, r)
	})
}

// serveFallback asks the mux what it would answer for an unmatched request (404, or 405 with
// an Allow header) and answers the same status as a JSON error.
func serveFallback(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	probe := &headerProbe{header: http.Header{}}
	h, _ := mux.Handler(r)
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusMethodNotAllowed:
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		WriteError(w, r, apierr.E(apierr.MethodNotAllowed, "method_not_allowed",
			"method "+r.Method+" is not allowed on "+r.URL.Path))
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		for k, v := range probe.header {
			w.Header()[k] = v
		}
		w.WriteHeader(probe.status)
	default:
		WriteError(w, r, apierr.E(apierr.NotFound, "route_not_found", "no route for "+r.Method+" "+r.URL.Path))
	}
}

type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }
func (p *headerProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *headerProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
