package scf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/buffered"
)

// APIGatewayEvent is the API Gateway trigger's integration request.
type APIGatewayEvent struct {
	RequestContext  APIGatewayRequestContext `json:"requestContext"`
	Headers         map[string]string        `json:"headers"`
	Body            string                   `json:"body"`
	IsBase64Encoded bool                     `json:"isBase64Encoded"`
	PathParameters  map[string]string        `json:"pathParameters"`
	Path            string                   `json:"path"`
	QueryString     QueryString              `json:"queryString"`
	HTTPMethod      string                   `json:"httpMethod"`
}

// APIGatewayRequestContext is the requestContext of an API Gateway trigger event.
type APIGatewayRequestContext struct {
	ServiceID  string `json:"serviceId"`
	Path       string `json:"path"`
	HTTPMethod string `json:"httpMethod"`
	RequestID  string `json:"requestId"`
	SourceIP   string `json:"sourceIp"`
	Stage      string `json:"stage"`
}

// QueryString is the polymorphic queryString object: each value is a string (?a=1), a list
// of strings (?a=1&a=2) or true (?flag, a key without a value).
type QueryString map[string][]string

// UnmarshalJSON implements json.Unmarshaler.
func (q *QueryString) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*q = nil
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("scf: queryString: %w", err)
	}
	out := make(QueryString, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("scf: queryString %q: %w", k, err)
			}
			out[k] = []string{s}
		case len(v) > 0 && v[0] == '[':
			var ss []string
			if err := json.Unmarshal(v, &ss); err != nil {
				return fmt.Errorf("scf: queryString %q: must be a string, a list of strings or true", k)
			}
			out[k] = ss
		case bytes.Equal(v, []byte("true")):
			out[k] = []string{""}
		default:
			return fmt.Errorf("scf: queryString %q: must be a string, a list of strings or true", k)
		}
	}
	*q = out
	return nil
}

// Encode renders the query in a stable order; a key from `true` renders without "=".
func (q QueryString) Encode() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			if v != "" {
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			}
		}
	}
	return b.String()
}

// IntegratedResponse is the API Gateway integrated-response JSON.
type IntegratedResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

// TimerEvent is the timer trigger's event. Type is "Timer" (docs also show "timer").
type TimerEvent struct {
	Type        string `json:"Type"`
	TriggerName string `json:"TriggerName"`
	Time        string `json:"Time"`
	Message     string `json:"Message"`
}

// shape tells the event kinds apart.
type shape struct {
	HTTPMethod     *string         `json:"httpMethod"`
	RequestContext json.RawMessage `json:"requestContext"`
	Type           string          `json:"Type"`
}

// shapeFast decodes shape from rest (Event.Rest: valid JSON) with buffered.DecodePlain, for an
// object whose shape members have plain names and values of the types shape declares; ok is
// false, and handle decodes it with encoding/json (which also words the errors), for anything
// else. FuzzDecodeEvent compares it with encoding/json.
func shapeFast(rest []byte) (s shape, ok bool) {
	ok = buffered.DecodePlain(rest,
		buffered.Target{Name: "httpMethod", To: &s.HTTPMethod},
		buffered.Target{Name: "requestContext", To: func(v []byte) bool { s.RequestContext = v; return true }}, // any value, as json.RawMessage takes it
		buffered.Target{Name: "Type", To: &s.Type})
	return s, ok
}

// handle dispatches one event.
func handle(ctx context.Context, app platform.App, req *InvokeRequest) ([]byte, error) {
	// The body is split off once; everything else is decoded from the small rest.
	split, err := buffered.SplitEvent(req.Payload)
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, "invalid_event", "scf: invoke: the event is not a JSON object", err)
	}
	s, ok := shapeFast(split.Rest)
	if !ok {
		s = shape{} // partly written: encoding/json decodes a fresh one, as serveAPIGateway does
		if err := json.Unmarshal(split.Rest, &s); err != nil {
			return nil, apierr.Wrap(apierr.Invalid, "invalid_event", "scf: invoke: the event is not a JSON object", err)
		}
	}
	inv := &platform.Invocation{Platform: Platform, RequestID: req.RequestId, FunctionName: req.FunctionName}
	if d, ok := ctx.Deadline(); ok {
		inv.Deadline = d
	}
	switch {
	case s.HTTPMethod != nil && len(s.RequestContext) > 0:
		return serveAPIGateway(ctx, app, inv, split)
	case strings.EqualFold(s.Type, "timer"):
		return timer(ctx, app, inv, req.Payload)
	}
	return nil, apierr.E(apierr.Invalid, "unsupported_event",
		"scf: invoke: the event is neither an API Gateway request nor a timer trigger")
}

func timer(ctx context.Context, app platform.App, inv *platform.Invocation, payload []byte) ([]byte, error) {
	var ev TimerEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, apierr.Wrap(apierr.Invalid, "invalid_event", "scf: timer: the timer event is malformed", err)
	}
	if app.Timer == nil {
		return nil, apierr.E(apierr.NotFound, "no_timer", "scf: timer: this function serves API Gateway requests only")
	}
	te := platform.TimerEvent{Platform: Platform, Name: ev.TriggerName, Payload: []byte(ev.Message)}
	if t, err := time.Parse(time.RFC3339, ev.Time); err == nil {
		te.Time = t
	} else {
		te.Time = time.Now().UTC()
	}
	if len(te.Payload) == 0 {
		te.Payload = nil
	}
	inv.Raw = ev
	if err := app.Timer(platform.NewContext(ctx, inv), te); err != nil {
		return nil, fmt.Errorf("scf: timer %s: %w", ev.TriggerName, err)
	}
	return []byte(`{"ok":true}`), nil
}

func serveAPIGateway(ctx context.Context, app platform.App, inv *platform.Invocation, split buffered.Event) ([]byte, error) {
	var ev APIGatewayEvent
	rec := func() *buffered.Recorder {
		if !decodeAPIGatewayFast(split.Rest, &ev) {
			ev = APIGatewayEvent{}
			if err := json.Unmarshal(split.Rest, &ev); err != nil {
				return errorRecorder(apierr.Wrap(apierr.Invalid, "invalid_event", "the API Gateway event is malformed", err))
			}
		}
		inv.SourceIP = ev.RequestContext.SourceIP
		if inv.RequestID == "" {
			inv.RequestID = ev.RequestContext.RequestID
		}
		inv.Raw = ev.RequestContext
		body, err := buffered.DecodeBody(split.Body, ev.IsBase64Encoded)
		if err != nil {
			return errorRecorder(err)
		}
		header := make(http.Header, len(ev.Headers))
		for k, v := range ev.Headers {
			header.Set(k, v)
		}
		r, err := buffered.NewRequest(platform.NewContext(ctx, inv), buffered.Request{
			Method: ev.HTTPMethod, Path: ev.Path, RawQuery: ev.QueryString.Encode(), Header: header, Body: body,
			RemoteAddr: buffered.RemoteAddr(ev.RequestContext.SourceIP),
		})
		if err != nil {
			return errorRecorder(err)
		}
		return buffered.Serve(app.HTTP, r, buffered.MaxPayload)
	}()
	out := appendIntegrated(make([]byte, 0, buffered.EnvelopeSize(rec)), rec)
	rec.Release()
	if len(out) > buffered.MaxPayload {
		rec := errorRecorder(buffered.ErrResponseTooLarge)
		return appendIntegrated(make([]byte, 0, buffered.EnvelopeSize(rec)), rec), nil
	}
	return out, nil
}

func errorRecorder(err error) *buffered.Recorder {
	rec := buffered.NewRecorder(1 << 10)
	rec.Reset(err)
	return rec
}

// appendIntegrated writes the recorded response as an IntegratedResponse, directly: the body
// is escaped (or base64-encoded) once into the output. The headers object holds one value per
// name: repeated headers are comma-joined (Set-Cookie keeps only its first value, since
// cookies cannot be comma-joined).
func appendIntegrated(dst []byte, rec *buffered.Recorder) []byte {
	hdr := rec.Header()
	dst = buffered.AppendStatus(dst, rec.Status())
	dst = append(dst, `,"headers":{`...)
	first := true
	for _, k := range buffered.SortedKeys(hdr) {
		vs := hdr[k]
		if len(vs) == 0 {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(buffered.AppendString(dst, k), ':')
		if k == "Set-Cookie" {
			dst = buffered.AppendString(dst, vs[0])
		} else {
			dst = buffered.AppendString(dst, buffered.JoinHeader(vs))
		}
	}
	dst = append(dst, "},"...)
	return append(buffered.AppendBody(dst, rec), '}')
}
