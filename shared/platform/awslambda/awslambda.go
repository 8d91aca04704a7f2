package awslambda

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/buffered"
)

// Platform is the name this adapter reports in platform.Env, Invocation and TimerEvent.
const Platform = "aws"

// Start builds the App once and serves Lambda invocations until ctx is done (launch
// cancels it on SIGTERM, which Lambda sends before shutting an environment down because the
// handler registers for it), then runs App.Close and returns. The Runtime API address comes
// from AWS_LAMBDA_RUNTIME_API, which aws-lambda-go reads itself; when the runtime loop fails
// aws-lambda-go ends the process.
func Start(ctx context.Context, name string, getenv func(string) string, build platform.BuildFunc) error {
	app, err := build(ctx, platform.Env{Getenv: getenv, Platform: Platform, Name: name})
	if err != nil {
		err = fmt.Errorf("awslambda: build %s: %w", name, err)
		reportInitError(ctx, getenv("AWS_LAMBDA_RUNTIME_API"), err)
		return err
	}
	if app.Close != nil {
		defer app.Close()
	}
	go lambda.StartWithOptions(New(app), lambda.WithContext(ctx), lambda.WithEnableSIGTERM())
	<-ctx.Done()
	slog.Info("awslambda: shutting down", "function", name)
	return nil
}

// Handler serves one App; it implements lambda.Handler. It is safe for concurrent use (Lambda
// Managed Instances run several invoke loops in one process).
type Handler struct {
	app   platform.App
	limit int
}

var _ lambda.Handler = (*Handler)(nil)

// New returns the Lambda handler for app.
func New(app platform.App) *Handler {
	return &Handler{app: app, limit: buffered.MaxPayload}
}

// shape is just enough of any event to tell the sources apart.
type shape struct {
	HTTPMethod     *string `json:"httpMethod"`
	DetailType     string  `json:"detail-type"`
	Source         string  `json:"source"`
	RequestContext *struct {
		HTTP json.RawMessage `json:"http"`
		ELB  json.RawMessage `json:"elb"`
	} `json:"requestContext"`
}

// Kind names the event sources the handler recognises.
type Kind int

// The event kinds.
const (
	KindTimer    Kind = iota // a schedule or any other JSON: App.Timer
	KindHTTPV2               // API Gateway HTTP API payload 2.0, Function URL
	KindREST                 // API Gateway REST API payload 1.0
	KindALB                  // Application Load Balancer
	KindSchedule             // EventBridge "Scheduled Event" envelope: App.Timer
)

// Detect classifies an event by its shape. Invalid JSON is an error.
func Detect(payload []byte) (Kind, error) {
	split, err := buffered.SplitEvent(payload)
	if err != nil {
		return 0, errNotJSON
	}
	return detect(split.Rest), nil
}

var errNotJSON = apierr.E(apierr.Invalid, "invalid_event", "awslambda: the event is not valid JSON")

// detect classifies a valid event; rest is the event without its body (Event.Rest), so the
// shape is decoded without scanning a large body again.
func detect(rest []byte) Kind {
	trimmed := bytes.TrimSpace(rest)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return KindTimer
	}
	if k, ok := detectFast(trimmed); ok {
		return k
	}
	var s shape
	if err := json.Unmarshal(trimmed, &s); err != nil {
		// An object whose well-known fields have other types is custom input.
		return KindTimer
	}
	switch {
	case s.RequestContext != nil && isObject(s.RequestContext.HTTP):
		return KindHTTPV2
	case s.RequestContext != nil && isObject(s.RequestContext.ELB):
		return KindALB
	case s.RequestContext != nil && s.HTTPMethod != nil:
		return KindREST
	case s.DetailType == "Scheduled Event":
		return KindSchedule
	}
	return KindTimer
}

// detectFast is detect with buffered.DecodePlain instead of encoding/json, for an event whose
// shape members (top level and in requestContext) have plain names and values of the types
// shape declares; ok is false, and detect decodes shape, for anything else. As json.Unmarshal
// does, a requestContext null sets the pointer to nil and a second object is decoded into the
// first one's struct. FuzzDecodeEvent compares Detect with the encoding/json classification.
func detectFast(obj []byte) (Kind, bool) {
	var method *string
	var detail, source string
	var rc, rcHTTP, rcELB bool
	isObj := func(dst *bool) func([]byte) bool {
		return func(v []byte) bool { *dst = v[0] == '{'; return true }
	}
	ok := buffered.DecodePlain(obj,
		buffered.Target{Name: "httpMethod", To: &method},
		buffered.Target{Name: "detail-type", To: &detail},
		buffered.Target{Name: "source", To: &source},
		buffered.Target{Name: "requestContext", To: func(v []byte) bool {
			switch v[0] {
			case 'n':
				rc, rcHTTP, rcELB = false, false, false
				return true
			case '{':
				if !rc {
					rc, rcHTTP, rcELB = true, false, false
				}
				return buffered.DecodePlain(v, buffered.Target{Name: "http", To: isObj(&rcHTTP)}, buffered.Target{Name: "elb", To: isObj(&rcELB)})
			}
			return false
		}})
	switch {
	case !ok:
		return 0, false
	case rc && rcHTTP:
		return KindHTTPV2, true
	case rc && rcELB:
		return KindALB, true
	case rc && method != nil:
		return KindREST, true
	case detail == "Scheduled Event":
		return KindSchedule, true
	}
	return KindTimer, true
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// Invoke implements lambda.Handler.
func (h *Handler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("awslambda: panic in invoke", "panic", p, "stack", string(debug.Stack()))
			out, err = nil, fmt.Errorf("awslambda: invoke: panic: %v", p)
		}
	}()
	split, err := buffered.SplitEvent(payload)
	if err != nil {
		return nil, errNotJSON
	}
	kind := detect(split.Rest)
	inv := &platform.Invocation{Platform: Platform, FunctionName: lambdacontext.FunctionName}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.RequestID = lc.AwsRequestID
	}
	inv.TraceID = traceID(ctx)
	if d, ok := ctx.Deadline(); ok {
		inv.Deadline = d
	}
	switch kind {
	case KindHTTPV2:
		return h.serveV2(ctx, inv, split)
	case KindREST:
		return h.serveREST(ctx, inv, split)
	case KindALB:
		return h.serveALB(ctx, inv, split)
	case KindSchedule:
		return h.schedule(ctx, inv, payload)
	default:
		return h.timer(ctx, inv, platform.TimerEvent{Platform: Platform, Time: time.Now().UTC(), Payload: bytes.Clone(payload)})
	}
}

// scheduledEvent is the EventBridge schedule envelope.
type scheduledEvent struct {
	ID        string          `json:"id"`
	Time      time.Time       `json:"time"`
	Resources []string        `json:"resources"`
	Detail    json.RawMessage `json:"detail"`
}

func (h *Handler) schedule(ctx context.Context, inv *platform.Invocation, payload []byte) ([]byte, error) {
	var ev scheduledEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, apierr.Wrap(apierr.Invalid, "invalid_event", "awslambda: the schedule event is malformed", err)
	}
	te := platform.TimerEvent{Platform: Platform, Time: ev.Time}
	if te.Time.IsZero() {
		te.Time = time.Now().UTC()
	}
	if len(ev.Resources) > 0 {
		// arn:aws:events:region:account:rule/<name>
		r := ev.Resources[0]
		te.Name = r[strings.LastIndexByte(r, '/')+1:]
	}
	if d := bytes.TrimSpace(ev.Detail); len(d) > 0 && !bytes.Equal(d, []byte("{}")) && !bytes.Equal(d, []byte("null")) {
		te.Payload = bytes.Clone(d)
	}
	inv.Raw = ev
	return h.timer(ctx, inv, te)
}

func (h *Handler) timer(ctx context.Context, inv *platform.Invocation, ev platform.TimerEvent) ([]byte, error) {
	if h.app.Timer == nil {
		return nil, apierr.E(apierr.NotFound, "no_timer",
			"awslambda: timer: this function serves HTTP events only; the event is not an API Gateway, Function URL or ALB request")
	}
	if err := h.app.Timer(platform.NewContext(ctx, inv), ev); err != nil {
		return nil, fmt.Errorf("awslambda: timer: %w", err)
	}
	return []byte(`{"ok":true}`), nil
}

// reportInitError tells the Runtime API why the function could not start, so Lambda shows
// the configuration error (which names the variable, never a secret's value) instead of a
// bare "Runtime exited".
func reportInitError(ctx context.Context, api string, err error) {
	if api == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": "Runtime.BuildError"})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.BuildError")
	resp, rerr := http.DefaultClient.Do(req)
	if rerr != nil {
		slog.Warn("awslambda: could not report the init error", "err", rerr)
		return
	}
	_ = resp.Body.Close()
}

// traceID is the invocation's X-Ray trace header. aws-lambda-go puts the runtime API's
// Lambda-Runtime-Trace-Id in the context under the string key "x-amzn-trace-id" and, only
// when one invocation runs at a time, also in _X_AMZN_TRACE_ID; the context is read first
// because with AWS_LAMBDA_MAX_CONCURRENCY > 1 the variable is not set (and would be shared).
func traceID(ctx context.Context) string {
	if v, ok := ctx.Value("x-amzn-trace-id").(string); ok && v != "" { //nolint:staticcheck // the key aws-lambda-go uses
		return v
	}
	if lambdacontext.MaxConcurrency() <= 1 {
		return os.Getenv("_X_AMZN_TRACE_ID")
	}
	return ""
}
