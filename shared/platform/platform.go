// Package platform defines what a kafkafn binary hands to the platform adapters, and what the
// adapters hand back to handlers: the App (one http.Handler plus an optional timer entry
// point), the timer event, the start-up environment, and the invocation metadata that
// adapters put in the request context.
//
// The adapters live in sub-packages (local, awslambda, scf, azurefunc) and are the only code
// that imports platform SDKs; package launch picks one from the environment.
package platform

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// App is what a binary serves. HTTP is required. Timer is set only by binaries that run
// scheduled pulls (consume-window and the all-routes binary); adapters answer timer events
// with an error when it is nil.
type App struct {
	HTTP  http.Handler
	Timer func(ctx context.Context, ev TimerEvent) error
	// Close releases what the App holds (idle Kafka connections). Optional.
	Close func()
}

// TimerEvent is a scheduled invocation, converted from the platform's own shape (EventBridge
// schedule, SCF timer trigger, Azure timerTrigger payload).
type TimerEvent struct {
	Platform string    // "aws", "scf", "azure", "local"
	Name     string    // trigger or function name, when the platform gives one
	Time     time.Time // the scheduled time, or the arrival time
	// Payload is the operator's constant input: the EventBridge Input JSON, the SCF trigger's
	// Message, or empty. Consumers decode it themselves.
	Payload []byte
}

// Env is what a BuildFunc gets at start-up.
type Env struct {
	// Getenv reads the process environment (with the SCF per-invoke environment overlaid on
	// SCF). Only shared/config reads it.
	Getenv func(string) string
	// Platform names the adapter: "local", "aws", "scf", "scf-web", "azure".
	Platform string
	// Name is the binary's name as launch was given it ("produce", "all"); the metrics'
	// Function dimension.
	Name string
	// LoopbackOnly is true when the adapter is the local HTTP server and it listens only on
	// loopback addresses. The insecure dev auth mode is refused unless it is true.
	LoopbackOnly bool
	// Log is the logger of the request log and the start-up messages; nil means
	// slog.Default() (the adapters leave it nil; the test harness sets it).
	Log *slog.Logger
}

// BuildFunc builds the App once per process. It must be cheap: no dialing Kafka or identity
// providers (connect lazily, under a request deadline).
type BuildFunc func(ctx context.Context, env Env) (App, error)

// Invocation is the platform's metadata about the current invocation. Adapters put it in
// the request context; handlers read it with FromContext. It never travels as HTTP headers.
type Invocation struct {
	Platform     string
	RequestID    string
	FunctionName string
	Deadline     time.Time // zero when the platform gives none (Azure forwarding, local)
	SourceIP     string
	// TraceID is the AWS X-Ray trace header of the invocation (Lambda-Runtime-Trace-Id,
	// "Root=1-…;Parent=…;Sampled=…"), empty elsewhere.
	TraceID string
	// Caller is the caller identity the platform's front door verified and put in the event
	// (API Gateway or Function URL authorizers on AWS Lambda); nil when there is none. It
	// comes from the event, never from request headers.
	Caller *Caller
	// Raw holds the platform's own request context (e.g. events.APIGatewayV2HTTPRequestContext)
	// for the rare handler that needs more. Handlers must not depend on its type.
	Raw any
}

// Caller is a front door's verified caller identity; exactly one member is set.
type Caller struct {
	IAM        *IAMCaller        // SigV4 (AWS_IAM) on an HTTP API, REST API or Function URL
	JWT        *JWTCaller        // an HTTP API JWT authorizer or a REST API Cognito authorizer
	Authorizer *AuthorizerCaller // a Lambda (custom) authorizer
}

// IAMCaller is an AWS principal whose SigV4 signature the front door checked.
type IAMCaller struct {
	UserARN   string // arn:aws:iam::ACCT:user/…, arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
	AccountID string
	CallerID  string // user id, or role id:session name
	AccessKey string
}

// JWTCaller holds the claims of a token the front door validated. API Gateway passes every
// claim as a string; array claims arrive as one string "[a b c]".
type JWTCaller struct {
	Claims map[string]string
	Scopes []string
}

// AuthorizerCaller is a Lambda authorizer's output: its principalId (REST API, or the
// "principalId" key of an HTTP API authorizer's context) and its context values.
type AuthorizerCaller struct {
	PrincipalID string
	Context     map[string]any
}

type invocationKey struct{}

// NewContext returns ctx carrying inv.
func NewContext(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// FromContext returns the invocation metadata in ctx, if an adapter put one there.
func FromContext(ctx context.Context) (*Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(*Invocation)
	return inv, ok
}
