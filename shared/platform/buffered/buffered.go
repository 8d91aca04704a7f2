// Package buffered is the plumbing shared by the adapters whose platforms deliver a whole
// HTTP request as one event and take the whole response back as one value (AWS Lambda and
// Tencent SCF event functions): a request builder, a bounded recording ResponseWriter, and
// Serve, which runs a handler with panic recovery; and the event plumbing that reads an
// event's body string once and writes a response envelope directly (event.go, built on
// github.com/go-json-experiment/json/jsontext; unquote.go takes the body's text out of its
// string), handing the body to the route as an httpio.BytesBody, which it reads uncopied.
package buffered

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// MaxPayload is the synchronous response limit of AWS Lambda and Tencent SCF (6 MB). The
// adapters bound the recorded body by it and check the encoded response against it.
const MaxPayload = 6 << 20

// ErrTooLarge is returned by Recorder.Write once the body passes its limit.
var ErrTooLarge = errors.New("buffered: response body over the platform limit")

// Recorder is an http.ResponseWriter that keeps the response in memory, up to a limit.
// Writes past the limit fail with ErrTooLarge and mark the response as overflowed.
type Recorder struct {
	header      http.Header
	status      int
	body        []byte
	pooled      *[]byte // where body came from, when Serve took it from bodyPool
	limit       int
	overflowed  bool
	wroteHeader bool
}

// NewRecorder returns a Recorder that keeps at most limit body bytes.
func NewRecorder(limit int) *Recorder {
	return &Recorder{header: http.Header{}, limit: limit}
}

// Header implements http.ResponseWriter.
func (r *Recorder) Header() http.Header { return r.header }

// WriteHeader implements http.ResponseWriter; only the first call counts.
func (r *Recorder) WriteHeader(code int) {
	if r.wroteHeader {
		return
	}
	r.wroteHeader = true
	r.status = code
}

// Write implements http.ResponseWriter.
func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.overflowed {
		return 0, ErrTooLarge
	}
	if len(r.body)+len(b) > r.limit {
		r.overflowed = true
		return 0, ErrTooLarge
	}
	r.body = append(r.body, b...)
	return len(b), nil
}

// Flush implements http.Flusher as a no-op: the response is sent whole.
func (r *Recorder) Flush() {}

// Status returns the response status (200 when the handler wrote nothing).
func (r *Recorder) Status() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Body returns the recorded body.
func (r *Recorder) Body() []byte { return r.body }

// maxPooled bounds the bodies kept for reuse: the largest a Recorder records, plus slack.
const maxPooled = MaxPayload + 64<<10

// bodyPool keeps recorded-body buffers between invocations, so a large answer (a consume
// window) is recorded without regrowing its buffer each time.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// Release returns the recorded body's buffer for reuse. Call it once the response has been
// written out (the body must not be used after); it is safe on any Recorder.
func (r *Recorder) Release() {
	if r.pooled == nil {
		return
	}
	if cap(r.body) <= maxPooled {
		*r.pooled = r.body[:0]
		bodyPool.Put(r.pooled)
	}
	r.pooled, r.body = nil, nil
}

// Overflowed reports whether the handler tried to write more than the limit.
func (r *Recorder) Overflowed() bool { return r.overflowed }

// Reset replaces the recorded response with err's JSON error body.
func (r *Recorder) Reset(err error) {
	id := r.header.Get(httpio.RequestIDHeader)
	r.header = http.Header{}
	r.status = 0
	r.wroteHeader = false
	r.overflowed = false
	r.body = r.body[:0]
	r.limit = max(r.limit, 1<<10)
	status, body := httpio.ErrorFor(err)
	if id != "" {
		r.header.Set(httpio.RequestIDHeader, id)
		body.Error.RequestID = id
	}
	httpio.WriteJSON(r, status, body)
}

// ErrResponseTooLarge is what a client gets when the handler's response does not fit the
// platform's synchronous payload limit.
var ErrResponseTooLarge = apierr.E(apierr.Internal, "response_too_large",
	"the response is larger than the platform's 6 MB limit; ask for less (smaller count or max bytes)")

// Serve runs h for req into a new Recorder bounded by limit. A panic in h becomes a JSON 500
// and is logged; the process lives on. An overflowing response becomes ErrResponseTooLarge.
//
// The Recorder's body buffer comes from a bounded pool: call Release when done with it.
func Serve(h http.Handler, req *http.Request, limit int) *Recorder {
	rec := NewRecorder(limit)
	rec.pooled = bodyPool.Get().(*[]byte)
	rec.body = (*rec.pooled)[:0]
	func() {
		defer func() {
			if p := recover(); p != nil {
				slog.Error("panic serving request", "method", req.Method, "path", req.URL.Path,
					"panic", p, "stack", string(debug.Stack()))
				rec.Reset(apierr.E(apierr.Internal, "internal", "internal error"))
			}
		}()
		h.ServeHTTP(rec, req)
	}()
	if rec.Overflowed() {
		rec.Reset(ErrResponseTooLarge)
	}
	return rec
}

// Request describes an incoming request in the platform-neutral form the adapters produce.
type Request struct {
	Method     string
	Path       string // unescaped path as the platform reports it; RawPath wins when set
	RawPath    string // the escaped path, when the platform gives it (API Gateway v2 rawPath)
	RawQuery   string // already encoded
	Header     http.Header
	Body       []byte
	RemoteAddr string
}

// NewRequest builds an *http.Request carrying ctx (with the invocation deadline and
// metadata). Errors are of kind Invalid.
func NewRequest(ctx context.Context, in Request) (*http.Request, error) {
	method := in.Method
	if method == "" {
		method = http.MethodGet
	}
	method = strings.ToUpper(method)
	if !validMethod(method) {
		return nil, apierr.E(apierr.Invalid, "invalid_request", "the event has an invalid HTTP method")
	}
	var u *url.URL
	var err error
	switch {
	case in.RawPath != "":
		u, err = url.Parse(in.RawPath)
		if err == nil && (u.Scheme != "" || u.Host != "" || u.RawQuery != "" || u.Fragment != "") {
			err = errors.New("not a path")
		}
	default:
		p := in.Path
		if p == "" {
			p = "/"
		}
		u = &url.URL{Path: p}
	}
	if err != nil || !strings.HasPrefix(u.Path, "/") {
		return nil, apierr.E(apierr.Invalid, "invalid_request", "the event has an invalid path")
	}
	u.RawQuery = in.RawQuery
	// A BytesBody: httpio.ReadBody hands in.Body to the route without copying it.
	req, err := http.NewRequestWithContext(ctx, method, u.String(), httpio.NewBytesBody(in.Body))
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, "invalid_request", "the event could not be converted to an HTTP request", err)
	}
	// NewRequest parsed our own rendering of the URL: keep the original structure.
	req.URL = u
	req.RequestURI = u.RequestURI()
	if in.Header != nil {
		req.Header = in.Header
	}
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
		req.Header.Del("Host")
	}
	req.ContentLength = int64(len(in.Body))
	if len(in.Body) == 0 {
		req.Body = http.NoBody
	}
	req.RemoteAddr = in.RemoteAddr
	return req, nil
}

func validMethod(m string) bool {
	if len(m) == 0 || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// RemoteAddr renders a source IP as host:port the way net/http does for servers.
func RemoteAddr(ip string) string {
	if ip == "" {
		return ""
	}
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:0"
	}
	return ip + ":0"
}

// IsText reports whether a response with this Content-Type and body can travel as a JSON
// string unencoded; everything else is base64-encoded.
func IsText(contentType string, body []byte) bool {
	if len(body) == 0 {
		return true
	}
	switch contentType {
	case "":
		return false
	case "application/json", "application/json; charset=utf-8": // what httpio writes; no parse
		return utf8.Valid(body)
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		return false
	}
	text := strings.HasPrefix(mt, "text/") ||
		mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || strings.HasSuffix(mt, "+xml") ||
		mt == "application/javascript" || mt == "application/x-www-form-urlencoded" ||
		mt == "application/x-ndjson"
	return text && utf8.Valid(body)
}

// JoinHeader joins a multi-value header into one value the way HTTP allows (comma-separated).
func JoinHeader(vs []string) string { return strings.Join(vs, ", ") }
