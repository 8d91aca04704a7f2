package awslambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/internal/buffered"
)

// v2Response is the HTTP API payload 2.0 / Function URL response.
type v2Response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Cookies         []string          `json:"cookies,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// restResponse is the REST API payload 1.0 response; ALB adds statusDescription.
type restResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription,omitempty"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func decodeBody(body string, b64 bool) ([]byte, error) {
	if !b64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, "invalid_body", "the request body is not valid base64", err)
	}
	return b, nil
}

func encodeBody(rec *buffered.Recorder) (string, bool) {
	body := rec.Body()
	if buffered.IsText(rec.Header().Get("Content-Type"), body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

// errorRecorder renders err as a JSON error response.
func errorRecorder(err error) *buffered.Recorder {
	rec := buffered.NewRecorder(1 << 10)
	rec.Reset(err)
	return rec
}

// finish marshals the response; when it would pass Lambda's limit it marshals a
// response_too_large error through render instead.
func finish(rec *buffered.Recorder, render func(*buffered.Recorder) any) ([]byte, error) {
	out, err := json.Marshal(render(rec))
	if err != nil {
		return nil, err
	}
	if len(out) > buffered.MaxPayload {
		return json.Marshal(render(errorRecorder(buffered.ErrResponseTooLarge)))
	}
	return out, nil
}

func (h *Handler) serveV2(ctx context.Context, inv *platform.Invocation, payload []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return finish(errorRecorder(apierr.Wrap(apierr.Invalid, "invalid_event", "the HTTP event is malformed", err)), renderV2)
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
	rec := h.serve(ctx, inv, in, ev.Body, ev.IsBase64Encoded)
	return finish(rec, renderV2)
}

func renderV2(rec *buffered.Recorder) any {
	hdr := rec.Header()
	resp := v2Response{StatusCode: rec.Status(), Headers: make(map[string]string, len(hdr))}
	for k, vs := range hdr {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		resp.Headers[k] = buffered.JoinHeader(vs)
	}
	resp.Body, resp.IsBase64Encoded = encodeBody(rec)
	return resp
}

func (h *Handler) serveREST(ctx context.Context, inv *platform.Invocation, payload []byte) ([]byte, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
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
	rec := h.serve(ctx, inv, in, ev.Body, ev.IsBase64Encoded)
	return finish(rec, renderREST)
}

func renderREST(rec *buffered.Recorder) any {
	resp := restResponse{StatusCode: rec.Status(), MultiValueHeaders: map[string][]string(rec.Header().Clone())}
	resp.Body, resp.IsBase64Encoded = encodeBody(rec)
	return resp
}

func (h *Handler) serveALB(ctx context.Context, inv *platform.Invocation, payload []byte) ([]byte, error) {
	var ev events.ALBTargetGroupRequest
	multi := false
	render := func(rec *buffered.Recorder) any { return renderALB(rec, multi) }
	if err := json.Unmarshal(payload, &ev); err != nil {
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
	rec := h.serve(ctx, inv, in, ev.Body, ev.IsBase64Encoded)
	return finish(rec, render)
}

func renderALB(rec *buffered.Recorder, multi bool) any {
	resp := restResponse{StatusCode: rec.Status()}
	resp.StatusDescription = strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
	if multi {
		resp.MultiValueHeaders = map[string][]string(rec.Header().Clone())
	} else {
		resp.Headers = make(map[string]string, len(rec.Header()))
		for k, vs := range rec.Header() {
			resp.Headers[k] = buffered.JoinHeader(vs)
		}
	}
	resp.Body, resp.IsBase64Encoded = encodeBody(rec)
	return resp
}

// serve decodes the body, builds the request and runs the App's handler.
func (h *Handler) serve(ctx context.Context, inv *platform.Invocation, in buffered.Request, body string, b64 bool) *buffered.Recorder {
	var err error
	if in.Body, err = decodeBody(body, b64); err != nil {
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
	keys := make([]string, 0, len(multi))
	for k := range multi {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
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
