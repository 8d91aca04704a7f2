// Package httpio holds the HTTP plumbing every kafkafn route shares: the one handler shape
// (Handler, Request, Response) and its encoder (Endpoint, Encode), bounded body reading and
// strict JSON decoding, JSON writing, the one mapping from error kinds to status codes
// (WriteError), and Serve, which logs, recovers and turns the mux's own 404/405 into JSON
// errors. The route tables that put handlers on a mux are auth.Route and auth.Register.
package httpio

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Status maps an error kind to its HTTP status. It is the only such mapping in kafkafn.
func Status(k apierr.Kind) int {
	switch k {
	case apierr.Invalid:
		return http.StatusBadRequest
	case apierr.Unauthorized:
		return http.StatusUnauthorized
	case apierr.Forbidden:
		return http.StatusForbidden
	case apierr.NotFound:
		return http.StatusNotFound
	case apierr.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case apierr.Conflict:
		return http.StatusConflict
	case apierr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apierr.UnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case apierr.RequestTimeout:
		return http.StatusRequestTimeout
	case apierr.TooManyRequests:
		return http.StatusTooManyRequests
	case apierr.BadGateway:
		return http.StatusBadGateway
	case apierr.Unavailable:
		return http.StatusServiceUnavailable
	case apierr.Timeout:
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

// ErrorBody is the one native error body:
// {"error":{"code":"…","message":"…","request_id":"…"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody. Retryable is set on failures where repeating the
// request unchanged may succeed (and, for writes, may duplicate). RequestID is the request's
// id (also in the X-Request-Id response header and on its log lines).
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// ErrorFor returns the status and body that describe err to a caller, without a request id
// (ErrorForRequest adds it).
func ErrorFor(err error) (int, ErrorBody) {
	k := apierr.KindOf(err)
	return Status(k), ErrorBody{Error: ErrorDetail{
		Code:      apierr.CodeOf(err),
		Message:   apierr.MessageOf(err),
		Retryable: k.Retryable(),
	}}
}

// ErrorForRequest is ErrorFor with the id of the request r in the body, for routes that
// write their own error shapes around ErrorDetail.
func ErrorForRequest(r *http.Request, err error) (int, ErrorBody) {
	status, body := ErrorFor(err)
	if r != nil {
		body.Error.RequestID = RequestID(r.Context())
	}
	return status, body
}

// WriteError writes err as the native JSON error body with its status. The message shown is
// the error's public message; the full error is attached to the request log by Serve. A 401
// from auth.Guard also gets its WWW-Authenticate challenge: this is the one error encoder.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := ErrorForRequest(r, err)
	setChallenge(w, err) // a 401 from auth.Guard carries its WWW-Authenticate challenge
	if status >= 500 {
		w.Header().Set("Retry-After", "1")
	}
	if status == http.StatusRequestTimeout {
		w.Header().Set("Connection", "close") // the rest of the body is not worth waiting for
	}
	NoteError(r, err)
	WriteJSON(w, status, body)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	buf := getBuffer()
	defer putBuffer(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Error("httpio: encode response", "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
	}
	setJSONHeaders(w.Header(), buf.Len())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// setJSONHeaders sets the headers of a JSON answer of n bytes, as h.Set would (canonical
// keys, one value each), with the three values in one allocation instead of three. Each
// value slice is capped at its length, so an Add to one of them cannot write into the next.
func setJSONHeaders(h http.Header, n int) {
	v := make([]string, 3)
	v[0], v[1], v[2] = "application/json", strconv.Itoa(n), "nosniff"
	h["Content-Type"], h["Content-Length"], h["X-Content-Type-Options"] = v[0:1:1], v[1:2:2], v[2:3:3]
}

// WriteRawJSON writes body, already encoded JSON, with the given status.
func WriteRawJSON(w http.ResponseWriter, status int, body []byte) {
	setJSONHeaders(w.Header(), len(body))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ReadBody reads the whole body, at most limit bytes. A larger body is a TooLarge error; a
// body that cannot be read is Invalid.
//
// The body is read into one buffer: of the declared Content-Length (plus a byte to see the
// end), made once the first bytes are in, so that a caller that announces a large body and
// sends nothing costs no memory, and a body is never copied into a buffer twice its size. A
// body already in memory (a BytesBody, as the event adapters hand over) is returned as is.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	if b, ok, err := inMemory(r.Body, limit); ok {
		return b, err
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	var first [1]byte
	n, err := io.ReadAtLeast(body, first[:], 1)
	var buf []byte
	if n == 1 {
		size := int64(512)
		if r.ContentLength > 0 {
			size = r.ContentLength + 1
		}
		buf = append(make([]byte, 0, min(size, limit+1)), first[0])
		buf, err = readAll(body, buf)
	}
	if err != nil && err != io.EOF {
		return nil, bodyError(err, limit)
	}
	return buf, nil
}

// readAll appends the rest of r to buf, growing it only when it is full.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
}

func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	var ae *apierr.Error
	switch {
	case errors.As(err, &mbe):
		return tooLarge(limit)
	case errors.As(err, &ae): // the body budget: 408 body_timeout, 503 server_busy
		return err
	}
	return apierr.Wrap(apierr.Invalid, "invalid_body", "the request body could not be read", err)
}

// BytesBody is a request body already in memory. ReadBody returns its bytes without copying
// them (through the body budget, which still counts them), so an adapter that has the body
// of an event in a buffer of its own hands it to the route as is. The bytes must not change
// while the request is handled.
type BytesBody struct {
	b    []byte
	read bool
}

// NewBytesBody returns a body reading b.
func NewBytesBody(b []byte) *BytesBody { return &BytesBody{b: b} }

// Read implements io.Reader.
func (b *BytesBody) Read(p []byte) (int, error) {
	if len(b.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.b)
	b.b, b.read = b.b[n:], true
	return n, nil
}

// Close implements io.Closer.
func (b *BytesBody) Close() error { return nil }

// take returns the unread bytes and marks them read.
func (b *BytesBody) take() []byte {
	out := b.b
	b.b, b.read = nil, true
	return out
}

// inMemory returns body's bytes when it is a BytesBody not yet read, directly or under the
// body budget (which then takes its share as if they had been read).
func inMemory(body io.Reader, limit int64) ([]byte, bool, error) {
	var bb *budgetBody
	if b, ok := body.(*budgetBody); ok {
		bb, body = b, b.body
	}
	b, ok := body.(*BytesBody)
	if !ok || b.read {
		return nil, false, nil
	}
	if int64(len(b.b)) > limit {
		return nil, true, tooLarge(limit)
	}
	out := b.take()
	if bb != nil {
		if err := bb.readInMemory(int64(len(out))); err != nil {
			return nil, true, err
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return out, true, nil
}

func tooLarge(limit int64) error {
	return apierr.E(apierr.TooLarge, "body_too_large",
		"the request body is larger than "+strconv.FormatInt(limit, 10)+" bytes")
}

// DecodeJSON reads at most limit bytes of r's body and decodes it strictly into v (see
// Unmarshal); a content type other than JSON is UnsupportedMedia. An empty body is allowed
// only when optional is true (v is then left as is).
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, optional bool) error {
	body, err := ReadJSONBody(w, r, limit, optional)
	if err != nil || body == nil {
		return err
	}
	return Unmarshal(body, v)
}

// ReadJSONBody reads at most limit bytes of r's body for a JSON decoder: a content type other
// than JSON is UnsupportedMedia, and an empty body Invalid unless optional is true (the body
// is then nil). The caller decodes it, e.g. with Unmarshal.
func ReadJSONBody(w http.ResponseWriter, r *http.Request, limit int64, optional bool) ([]byte, error) {
	// The plain type, the common case, needs no parse (ParseMediaType makes a map).
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !isJSONSuffix(mt)) {
			return nil, apierr.E(apierr.UnsupportedMedia, "unsupported_media_type",
				"the request body must be application/json")
		}
	}
	body, err := ReadBody(w, r, limit)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil, nil
		}
		return nil, apierr.E(apierr.Invalid, "invalid_body", "a JSON request body is required")
	}
	return body, nil
}

// Unmarshal decodes one JSON value strictly: unknown fields, trailing data, strings or names
// that are not valid UTF-8 and repeated member names are Invalid (see CheckJSONText), and so
// is one struct field named twice in different case ("token" and "Token"), of which
// encoding/json would keep the last.
func Unmarshal(body []byte, v any) error {
	if err := CheckJSONText(body, "invalid_json", "invalid JSON body"); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apierr.Wrap(apierr.Invalid, "invalid_json", "invalid JSON body: "+jsonErrorText(err), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return apierr.E(apierr.Invalid, "invalid_json", "invalid JSON body: unexpected data after the JSON value")
	}
	return foldDuplicate(body, v)
}

func isJSONSuffix(mt string) bool {
	return len(mt) > 5 && mt[len(mt)-5:] == "+json"
}

// jsonErrorText describes a decode error without echoing large parts of the input.
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(root)"
		}
		return "field " + strconv.Quote(field) + " must be " + te.Type.String()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	default:
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return msg
	}
}
