// Package apierr defines the closed set of error kinds that every kafkafn package speaks.
//
// Packages classify their failures once, by returning an error that carries a Kind (an
// *Error, or any error with a Kind() method such as broker.Error). Only the HTTP layer
// (shared/httpio) maps a Kind to a status code, and only the CKafka encoder maps it to a
// Tencent error code. The package has no dependencies so every binary can link it.
package apierr

import (
	"context"
	"errors"
)

// Kind classifies an error by what the caller can do about it.
type Kind uint8

// The kinds. The zero value is Internal, so an unclassified error is never reported as the
// caller's fault.
const (
	Internal         Kind = iota // a bug or an unexpected failure: 500
	Invalid                      // the request is malformed or breaks a rule: 400
	Unauthorized                 // missing or invalid credentials: 401
	Forbidden                    // valid caller without permission: 403
	NotFound                     // unknown route, topic or partition: 404
	Conflict                     // the resource exists or moved on: 409
	TooLarge                     // the body or a record is over a cap: 413
	TooManyRequests              // a limit was hit; retry later: 429
	BadGateway                   // an upstream (identity provider) answered badly: 502
	Unavailable                  // Kafka (or another upstream) cannot be reached: 503
	Timeout                      // the deadline passed (for a write sent to Kafka, the outcome is unknown): 504
	MethodNotAllowed             // the route exists for other methods: 405
	UnsupportedMedia             // the content type is not accepted: 415
	RequestTimeout               // the request body did not arrive in time: 408
)

var kindNames = [...]string{
	Internal:         "internal",
	Invalid:          "invalid",
	Unauthorized:     "unauthorized",
	Forbidden:        "forbidden",
	NotFound:         "not_found",
	Conflict:         "conflict",
	TooLarge:         "too_large",
	TooManyRequests:  "too_many_requests",
	BadGateway:       "bad_gateway",
	Unavailable:      "unavailable",
	Timeout:          "timeout",
	MethodNotAllowed: "method_not_allowed",
	UnsupportedMedia: "unsupported_media_type",
	RequestTimeout:   "request_timeout",
}

// String returns the kind's snake_case name, which is also its default error code.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Retryable reports whether a request that failed with this kind may succeed when repeated
// unchanged. For Timeout and Unavailable the outcome of a write may be unknown: a retry can
// duplicate (at-least-once).
func (k Kind) Retryable() bool {
	switch k {
	case TooManyRequests, BadGateway, Unavailable, Timeout:
		return true
	}
	return false
}

// Error is an error with a kind, a stable snake_case code and a message that is safe to show
// to the caller. Err, when set, is the underlying cause; it is logged, never shown.
type Error struct {
	Kind    Kind
	Code    string // snake_case; empty means Kind.String()
	Message string // safe for the caller: no secrets, no tokens
	Err     error  // the cause, for logs and errors.Is
}

// E returns an *Error with the given kind, code and public message.
func E(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Wrap returns an *Error with the given kind, code and public message, and err as its cause.
func Wrap(kind Kind, code, message string, err error) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Err: err}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind reports e's kind.
func (e *Error) ErrorKind() Kind { return e.Kind }

// ErrorCode reports e's code.
func (e *Error) ErrorCode() string {
	if e.Code != "" {
		return e.Code
	}
	return e.Kind.String()
}

// PublicMessage reports the message that may be shown to callers.
func (e *Error) PublicMessage() string { return e.Message }

// Kinder is implemented by errors that know their kind.
type Kinder interface{ ErrorKind() Kind }

// Coder is implemented by errors that carry a stable code.
type Coder interface{ ErrorCode() string }

// Publicer is implemented by errors whose message is safe to show to callers.
type Publicer interface{ PublicMessage() string }

// KindOf returns the kind of the first error in err's chain that has one. Context
// cancellation and deadlines count as Timeout; anything else unclassified is Internal.
func KindOf(err error) Kind {
	var k Kinder
	if errors.As(err, &k) {
		return k.ErrorKind()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Timeout
	}
	return Internal
}

// CodeOf returns the code of the first error in err's chain that has one, else the name of
// KindOf(err).
func CodeOf(err error) string {
	var c Coder
	if errors.As(err, &c) {
		if code := c.ErrorCode(); code != "" {
			return code
		}
	}
	return KindOf(err).String()
}

// MessageOf returns a message that is safe to show to callers: the public message of the
// first error in the chain that has one, or a generic text for the kind.
func MessageOf(err error) string {
	var p Publicer
	if errors.As(err, &p) {
		if m := p.PublicMessage(); m != "" {
			return m
		}
	}
	switch KindOf(err) {
	case Timeout:
		// Not "the outcome is unknown": that is for a write that may have reached Kafka, and
		// only the code that sent it knows (shared/broker says it in its own message).
		return "the request deadline passed before it could be completed"
	case Unavailable:
		return "Kafka is unavailable"
	default:
		return "internal error"
	}
}

// Clip shortens outside input quoted in a public message: s itself if it has at most n
// bytes, else its first n bytes and "…".
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
