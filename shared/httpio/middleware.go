package httpio

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/metrics"
)

type logNoteKey struct{}

// logNote is the per-request state Serve keeps in the request context: what a handler wants
// on the request's log line, its id and trace context, and what it did for the metrics; the
// status recorder, the budgeted body and the answer's Hold; and the caller once auth.Guard
// knows it. One allocation per request (and one context value) holds all of it.
type logNote struct {
	err       error
	requestID string
	traceID   string
	trace     [3]RecordHeader
	ntrace    int

	rec    statusRecorder
	body   *budgetBody // nil: no body budget (or no body); else points to bodyBuf, or an outer Serve's
	hold   *Hold       // nil: no response budget; else points to holdBuf, or an outer Serve's
	caller any         // SetCaller's value

	bodyBuf budgetBody
	holdBuf Hold

	traffic    [2]traffic // by direction: produced, consumed
	kafkaCalls int
	kafka      time.Duration
}

// traffic is what a request moved in one direction: records and their key, value and
// header bytes.
type traffic struct{ records, bytes int64 }

// The directions of logNote.traffic.
const (
	produced = iota
	consumed
)

func noteFrom(ctx context.Context) *logNote {
	n, _ := ctx.Value(logNoteKey{}).(*logNote)
	return n
}

// NoteError attaches err to the request's log line without writing a response.
func NoteError(r *http.Request, err error) {
	if r == nil {
		return
	}
	if n := noteFrom(r.Context()); n != nil {
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

// canSetDeadline reports whether http.ResponseController can set w's read (or, with read
// false, write) deadline: whether w or a writer it unwraps to has the method. The controller
// answers a writer without it (the adapters' in-memory answers) with a new ErrNotSupported
// error each time; asking first costs nothing.
func canSetDeadline(w http.ResponseWriter, read bool) bool {
	for {
		if read {
			if _, ok := w.(interface{ SetReadDeadline(time.Time) error }); ok {
				return true
			}
		} else if _, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok {
			return true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		w = u.Unwrap()
	}
}

// SetCaller records v, the request's authenticated caller, in r's per-request state and
// reports whether it could (false outside Serve); Caller returns it. auth.Guard keeps the
// principal there rather than in a context of its own, which would copy the request.
func SetCaller(r *http.Request, v any) bool {
	n := noteFrom(r.Context())
	if n == nil {
		return false
	}
	n.caller = v
	return true
}

// Caller returns what SetCaller recorded for the request ctx belongs to, or nil.
func Caller(ctx context.Context) any {
	if n := noteFrom(ctx); n != nil {
		return n.caller
	}
	return nil
}

// Serve wraps mux for production use: every request gets a request id (X-Request-Id on the
// answer, request_id in every error body and on every log line logged with its context), is
// logged once (route pattern, topic, status, duration, and the internal error if any; never
// headers or bodies), a panic becomes a JSON 500 and the process lives on, and the mux's own
// plain-text 404 and 405 answers become JSON errors. With WithBodyBudget, request bodies in
// flight are bounded and must arrive in time; with WithResponseBudget, so is the record data
// held for answers; with WithOps, trace context is kept for the produce routes, CORS is
// answered and metrics are counted.
func Serve(mux *http.ServeMux, log *slog.Logger, opts ...Option) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	log = slog.New(NewLogHandler(log.Handler()))
	var o serveOptions
	for _, opt := range opts {
		opt(&o)
	}
	return &served{memory: o.memoryLimit(), h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		note := &logNote{}
		var clientID string
		if outer := noteFrom(r.Context()); outer != nil {
			note.requestID = outer.requestID // a Serve inside another keeps the outer id
			// and what the outer one budgets, as the outer context values it replaces did
			note.body, note.hold, note.caller = outer.body, outer.hold, outer.caller
		} else {
			note.requestID, clientID = requestIDFor(r)
		}
		if !o.ops.noTrace {
			traceFor(r, note)
		}
		r = r.WithContext(context.WithValue(r.Context(), logNoteKey{}, note))
		w.Header().Set(RequestIDHeader, note.requestID)
		rec := &note.rec
		rec.ResponseWriter = w
		_, pattern := mux.Handler(r)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic serving request", "route", pattern, "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					note.err = apierr.E(apierr.Internal, "internal", "panic")
					WriteJSON(rec, http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: "internal", Message: "internal error", RequestID: note.requestID}})
				}
			}
			elapsed := time.Since(start)
			// Typed attributes in a fixed array: no boxing, no slice growth.
			var buf [12]slog.Attr
			attrs := append(buf[:0],
				slog.String("method", r.Method), slog.String("route", pattern), slog.Int("status", rec.status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.Int64("bytes", rec.bytes),
				slog.String(requestIDKey, note.requestID))
			if note.traceID != "" {
				attrs = append(attrs, slog.String(traceIDKey, note.traceID))
			}
			if topic := r.PathValue("topic"); topic != "" {
				attrs = append(attrs, slog.String("topic", topic))
			}
			if clientID != "" {
				attrs = append(attrs, slog.String("client_request_id", clientID))
			}
			level := slog.LevelInfo
			code := ""
			if note.err != nil {
				code = apierr.CodeOf(note.err)
				attrs = append(attrs, slog.String("err", note.err.Error()))
				if rec.status >= 500 {
					level = slog.LevelError
				}
			}
			log.LogAttrs(r.Context(), level, "request", attrs...)
			if m := o.ops.metrics; m != nil {
				m.Observe(metrics.Observation{
					Route: pattern, Status: rec.status, ErrorCode: code, RequestID: note.requestID, Duration: elapsed,
					RecordsProduced: note.traffic[produced].records, BytesProduced: note.traffic[produced].bytes,
					RecordsConsumed: note.traffic[consumed].records, BytesConsumed: note.traffic[consumed].bytes,
					KafkaCalls: note.kafkaCalls, KafkaLatency: note.kafka,
				})
			}
		}()
		if o.ops.cors != nil && o.ops.cors.serve(mux, rec, r) {
			return
		}
		if pattern == "" {
			serveFallback(mux, rec, r)
			return
		}
		if o.write > 0 {
			// Unsupported for answers recorded in memory (Lambda, SCF events).
			if canSetDeadline(rec, false) { // else ErrNotSupported, which costs an allocation
				_ = http.NewResponseController(rec).SetWriteDeadline(start.Add(o.write))
			}
		}
		if o.body != nil {
			if body := o.body.wrap(rec, r, note, log, pattern); body != nil {
				defer body.release()
			}
		}
		if o.response != nil {
			h := &note.holdBuf
			h.b = o.response
			note.hold = h
			defer h.release()
		}
		mux.ServeHTTP(rec, r)
	})}
}

// served is the handler Serve returns.
type served struct {
	h      http.Handler
	memory int64
}

func (s *served) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) that suits a process
// serving only this handler, 0 for none: see serveOptions.memoryLimit. launch applies it in
// the shipped binaries unless GOMEMLIMIT is set.
func (s *served) MemoryLimit() int64 { return s.memory }

// memoryBase is the heap a warm process holds besides request data: the runtime, the Kafka
// client's buffers and pools, the route tables, with room to spare.
const memoryBase = 8 << 20

// memoryLimit derives a soft memory limit from the budgets: 0 (none) unless the request body
// budget is on.
//
// Design note: with the default GOGC=100 the heap may grow to twice what is live before a
// collection, so 64 concurrent 1 MiB produces, of which the body budget admits 16 MiB at a
// time, still took the heap (and the RSS, which Go returns to the OS slowly) to far more than
// the budget. The budgets bound what is live: each admitted body byte is held once as the
// body and once more while kafka-go writes the batch (its encoding buffers), each answer byte
// of the response budget once as record data and once as the JSON answer; on top, memoryBase.
// Below that figure a collection frees next to nothing, so the limit is set at it: the
// collector runs early only when the process is near the most the budgets let it hold, and
// the Go runtime caps the collector's CPU share when the limit is passed, so a limit set too
// low slows the process rather than failing it. GOMEMLIMIT, when set, wins (launch leaves
// the runtime's own setting alone).
func (o *serveOptions) memoryLimit() int64 {
	if o.body == nil || o.body.all == nil {
		return 0
	}
	n := 2*o.body.all.total + memoryBase
	if o.response != nil {
		n += 2 * o.response.total
	}
	return n
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
