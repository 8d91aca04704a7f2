package awslambda

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/buffered"
)

// errorRecorder renders err as a JSON error response.
func errorRecorder(err error) *buffered.Recorder {
	rec := buffered.NewRecorder(1 << 10)
	rec.Reset(err)
	return rec
}

// finish writes the response envelope; when it would pass Lambda's limit it writes a
// response_too_large error through render instead. The envelope is written directly, the
// body escaped (or base64-encoded) once into the output.
func finish(rec *buffered.Recorder, render func([]byte, *buffered.Recorder) []byte) ([]byte, error) {
	out := render(make([]byte, 0, buffered.EnvelopeSize(rec)), rec)
	rec.Release()
	if len(out) > buffered.MaxPayload {
		rec := errorRecorder(buffered.ErrResponseTooLarge)
		return render(make([]byte, 0, buffered.EnvelopeSize(rec)), rec), nil
	}
	return out, nil
}

func (h *Handler) serveV2(ctx context.Context, inv *platform.Invocation, split buffered.Event) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if !decodeV2Fast(split.Rest, &ev) {
		ev = events.APIGatewayV2HTTPRequest{}
		if err := json.Unmarshal(split.Rest, &ev); err != nil {
			return finish(errorRecorder(apierr.Wrap(apierr.Invalid, "invalid_event", "the HTTP event is malformed", err)), renderV2)
		}
	}
	rc := ev.RequestContext
	inv.SourceIP = rc.HTTP.SourceIP
	if inv.RequestID == "" {
		inv.RequestID = rc.RequestID
	}
	inv.Raw = rc
	inv.Caller = callerV2(rc.Authorizer)
	header := make(http.Header, len(ev.Headers)+1)
	for k, v := range ev.Headers {
		header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	if header.Get("Host") == "" && rc.DomainName != "" {
		header.Set("Host", rc.DomainName)
	}
	in := buffered.Request{
		Method:     rc.HTTP.Method,
		Path:       rc.HTTP.Path,
		RawPath:    ev.RawPath,
		RawQuery:   ev.RawQueryString,
		Header:     header,
		RemoteAddr: buffered.RemoteAddr(rc.HTTP.SourceIP),
	}
	if _, err := url.ParseRequestURI(ev.RawPath); ev.RawPath == "" || err != nil {
		in.RawPath = ""
	}
	// A named stage (not $default) prefixes both paths with "/<stage>": kafkafn's routes do
	// not include it.
	if st := rc.Stage; st != "" && st != "$default" {
		in.RawPath = stripStage(in.RawPath, st)
		in.Path = stripStage(in.Path, st)
	}
	rec := h.serve(ctx, inv, in, split.Body, ev.IsBase64Encoded)
	return finish(rec, renderV2)
}

// renderV2 writes the HTTP API payload 2.0 / Function URL response:
// {"statusCode","headers","cookies","body","isBase64Encoded"}, headers and cookies omitted
// when empty.
func renderV2(dst []byte, rec *buffered.Recorder) []byte {
	hdr := rec.Header()
	dst = buffered.AppendStatus(dst, rec.Status())
	first := true
	for _, k := range buffered.SortedKeys(hdr) {
		if k == "Set-Cookie" {
			continue
		}
		if first {
			dst, first = append(dst, `,"headers":{`...), false
		} else {
			dst = append(dst, ',')
		}
		dst = append(buffered.AppendString(dst, k), ':')
		dst = buffered.AppendString(dst, buffered.JoinHeader(hdr[k]))
	}
	if !first {
		dst = append(dst, '}')
	}
	if cookies := hdr["Set-Cookie"]; len(cookies) > 0 {
		dst = buffered.AppendStrings(append(dst, `,"cookies":`...), cookies)
	}
	return append(buffered.AppendBody(append(dst, ','), rec), '}')
}

func (h *Handler) serveREST(ctx context.Context, inv *platform.Invocation, split buffered.Event) ([]byte, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(split.Rest, &ev); err != nil {
		return finish(errorRecorder(apierr.Wrap(apierr.Invalid, "invalid_event", "the HTTP event is malformed", err)), renderREST)
	}
	rc := ev.RequestContext
	inv.SourceIP = rc.Identity.SourceIP
	if inv.RequestID == "" {
		inv.RequestID = rc.RequestID
	}
	inv.Raw = rc
	inv.Caller = callerREST(rc)
	header := mergeHeaders(ev.Headers, ev.MultiValueHeaders)
	if header.Get("Host") == "" && rc.DomainName != "" {
		header.Set("Host", rc.DomainName)
	}
	in := buffered.Request{
		Method:     ev.HTTPMethod,
		Path:       ev.Path,
		RawQuery:   encodeQuery(ev.QueryStringParameters, ev.MultiValueQueryStringParameters, true),
		Header:     header,
		RemoteAddr: buffered.RemoteAddr(rc.Identity.SourceIP),
	}
	rec := h.serve(ctx, inv, in, split.Body, ev.IsBase64Encoded)
	return finish(rec, renderREST)
}

// renderREST writes the REST API payload 1.0 response:
// {"statusCode","multiValueHeaders","body","isBase64Encoded"}.
func renderREST(dst []byte, rec *buffered.Recorder) []byte {
	dst = appendMultiHeaders(buffered.AppendStatus(dst, rec.Status()), rec.Header())
	return append(buffered.AppendBody(append(dst, ','), rec), '}')
}

// appendMultiHeaders appends `,"multiValueHeaders":{...}` (nothing for no headers).
func appendMultiHeaders(dst []byte, hdr http.Header) []byte {
	if len(hdr) == 0 {
		return dst
	}
	dst = append(dst, `,"multiValueHeaders":{`...)
	for i, k := range buffered.SortedKeys(hdr) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = buffered.AppendStrings(append(buffered.AppendString(dst, k), ':'), hdr[k])
	}
	return append(dst, '}')
}

func (h *Handler) serveALB(ctx context.Context, inv *platform.Invocation, split buffered.Event) ([]byte, error) {
	var ev events.ALBTargetGroupRequest
	multi := false
	render := func(dst []byte, rec *buffered.Recorder) []byte { return renderALB(dst, rec, multi) }
	if err := json.Unmarshal(split.Rest, &ev); err != nil {
		return finish(errorRecorder(apierr.Wrap(apierr.Invalid, "invalid_event", "the ALB event is malformed", err)), render)
	}
	// With multi-value headers enabled on the target group, the request carries only the
	// multiValue* fields and the response must answer in kind.
	multi = ev.MultiValueHeaders != nil || ev.MultiValueQueryStringParameters != nil
	inv.Raw = ev.RequestContext
	header := mergeHeaders(ev.Headers, ev.MultiValueHeaders)
	if xff := header.Get("X-Forwarded-For"); xff != "" {
		ip, _, _ := strings.Cut(xff, ",")
		inv.SourceIP = strings.TrimSpace(ip)
	}
	in := buffered.Request{
		Method: ev.HTTPMethod,
		Path:   ev.Path,
		// ALB passes query parameters as received: already URL-encoded.
		RawQuery:   encodeQuery(ev.QueryStringParameters, ev.MultiValueQueryStringParameters, false),
		Header:     header,
		RemoteAddr: buffered.RemoteAddr(inv.SourceIP),
	}
	rec := h.serve(ctx, inv, in, split.Body, ev.IsBase64Encoded)
	return finish(rec, render)
}

// renderALB writes the ALB response: {"statusCode","statusDescription","headers" or
// "multiValueHeaders","body","isBase64Encoded"}.
func renderALB(dst []byte, rec *buffered.Recorder, multi bool) []byte {
	code := rec.Status()
	dst = buffered.AppendStatus(dst, code)
	dst = buffered.AppendString(append(dst, `,"statusDescription":`...), strconv.Itoa(code)+" "+http.StatusText(code))
	hdr := rec.Header()
	switch {
	case multi:
		dst = appendMultiHeaders(dst, hdr)
	case len(hdr) > 0:
		dst = append(dst, `,"headers":{`...)
		for i, k := range buffered.SortedKeys(hdr) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(buffered.AppendString(dst, k), ':')
			dst = buffered.AppendString(dst, buffered.JoinHeader(hdr[k]))
		}
		dst = append(dst, '}')
	}
	return append(buffered.AppendBody(append(dst, ','), rec), '}')
}

// serve decodes the body literal (Event.Body), builds the request and runs the App's handler.
func (h *Handler) serve(ctx context.Context, inv *platform.Invocation, in buffered.Request, body []byte, b64 bool) *buffered.Recorder {
	var err error
	if in.Body, err = buffered.DecodeBody(body, b64); err != nil {
		return errorRecorder(err)
	}
	req, err := buffered.NewRequest(platform.NewContext(ctx, inv), in)
	if err != nil {
		return errorRecorder(err)
	}
	return buffered.Serve(h.app.HTTP, req, h.limit)
}

func mergeHeaders(single map[string]string, multi map[string][]string) http.Header {
	h := make(http.Header, len(single)+len(multi))
	if multi != nil {
		for k, vs := range multi {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
		return h
	}
	for k, v := range single {
		h.Set(k, v)
	}
	return h
}

// encodeQuery renders query parameters as a raw query string in a stable order. REST API
// values arrive decoded (escape them); ALB values arrive as sent (keep them).
func encodeQuery(single map[string]string, multi map[string][]string, escape bool) string {
	if multi == nil {
		multi = make(map[string][]string, len(single))
		for k, v := range single {
			multi[k] = []string{v}
		}
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(multi)) {
		for _, v := range multi[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			if escape {
				b.WriteString(url.QueryEscape(k))
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			} else {
				b.WriteString(k)
				b.WriteByte('=')
				b.WriteString(v)
			}
		}
	}
	return b.String()
}

func stripStage(p, stage string) string {
	prefix := "/" + stage
	if p == prefix {
		return "/"
	}
	if strings.HasPrefix(p, prefix+"/") {
		return p[len(prefix):]
	}
	return p
}
