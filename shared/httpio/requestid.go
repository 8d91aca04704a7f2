package httpio

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"

	"github.com/kafkafn/kafkafn/shared/platform"
)

// RequestIDHeader is the request and response header that carries the request id.
const RequestIDHeader = "X-Request-Id"

// maxRequestID bounds an accepted request id (Rails accepts 255; 128 is plenty for UUIDs,
// API Gateway ids and X-Ray roots, and keeps log lines small).
const maxRequestID = 128

// RequestID returns the id of the request ctx belongs to, or "" outside Serve.
func RequestID(ctx context.Context) string {
	if n := noteFrom(ctx); n != nil {
		return n.requestID
	}
	return ""
}

// requestIDFor picks the request's id: the platform's invocation id (Lambda, SCF, Azure: the
// id the platform's own logs show), else a valid client X-Request-Id, else a new random one.
// A client id that is too long or holds other characters than letters, digits and
// -_.:=+/@ is not echoed or logged; a new id replaces it. It also returns the client's id
// when a platform id took precedence, for the log line.
func requestIDFor(r *http.Request) (id, client string) {
	client = r.Header.Get(RequestIDHeader)
	if !ValidRequestID(client) {
		client = ""
	}
	if inv, ok := platform.FromContext(r.Context()); ok && ValidRequestID(inv.RequestID) {
		return inv.RequestID, client
	}
	if client != "" {
		return client, ""
	}
	return newRequestID(), ""
}

// ValidRequestID reports whether id may be used as a request id: 1 to 128 characters, each
// a letter, a digit or one of -_.:=+/@.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '=' || c == '+' || c == '/' || c == '@':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns a random (version 4) UUID. The id needs to be unique, not secret, so
// it comes from math/rand/v2's per-thread ChaCha8 source (no system call, no lock).
func newRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:16], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
