// Package auth is kafkafn's authentication and authorisation core: who is calling
// (Principal), what they want to do (Op on a topic), the Authenticator interface that
// concrete schemes implement (Entra ID bearer tokens in auth/bearer, TC3 signatures in
// auth/tc3), the Policy that decides, and the Guard middleware that routes use.
//
// The package has no library dependencies, so every binary can link it; concrete verifiers
// live in sub-packages so each binary links only the schemes it serves.
//
// Secure by default: a Guard with no authenticator refuses every request, unless it was
// built in the insecure dev mode, which the caller may only choose on a loopback-only local
// server.
package auth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// Op is an operation a principal may be allowed on a topic.
type Op string

// The operations.
const (
	OpProduce  Op = "produce"  // write records
	OpConsume  Op = "consume"  // read records; with a consumer-group grant, read and commit group offsets
	OpMetadata Op = "metadata" // list topics, partitions, offsets, brokers
	OpAdmin    Op = "admin"    // create and delete topics
)

// Ops lists every operation, in a stable order.
var Ops = []Op{OpProduce, OpConsume, OpMetadata, OpAdmin}

// Principal is an authenticated caller.
type Principal struct {
	Scheme string   // "entra", "tc3", "key", "oidc", "aws", "authorizer", "webhook", "dev"
	ID     string   // object or app id, SecretId, key id, <issuer name>#<subject>, ARN, "dev"
	Name   string   // a display name for logs, when known
	Roles  []string // Entra app roles; OIDC roles (of Issuer)
	Groups []string // Entra group object ids; OIDC groups (of Issuer)
	// Issuer is the OIDC issuer's name for scheme "oidc": its groups and roles count only in
	// policy rules that name the same issuer.
	Issuer string
}

// Dev is the principal of the insecure local dev mode.
var Dev = &Principal{Scheme: "dev", ID: "dev", Name: "insecure local dev mode"}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal that Guard put in ctx (NewContext's, or the one Guard
// recorded in the request's state under httpio.Serve; NewContext's wins).
func FromContext(ctx context.Context) (*Principal, bool) {
	if p, ok := ctx.Value(principalKey{}).(*Principal); ok {
		return p, true
	}
	p, ok := httpio.Caller(ctx).(*Principal)
	return p, ok
}

// withPrincipal returns r carrying p: recorded in the request's state under httpio.Serve
// (no copy of the request), else in a new context.
func withPrincipal(r *http.Request, p *Principal) *http.Request {
	if httpio.SetCaller(r, p) {
		return r
	}
	return r.WithContext(NewContext(r.Context(), p))
}

// ErrNoCredentials is returned by an Authenticator when the request carries no credentials of
// its scheme, so the Guard can try the next one.
var ErrNoCredentials = errors.New("auth: no credentials")

// Authenticator establishes who sent a request. It returns ErrNoCredentials when the request
// carries none of its kind, an error of kind Unauthorized (or Forbidden) when they are
// invalid, and never echoes the credentials in errors.
type Authenticator interface {
	Authenticate(r *http.Request) (*Principal, error)
	// Challenge is the WWW-Authenticate value for a 401 from this scheme, or "".
	Challenge(err error) string
}

// Policy decides whether p may perform op on topic. topic is "" for cluster-wide operations
// (listing topics or brokers). It returns nil or an error of kind Forbidden.
type Policy interface {
	Allow(p *Principal, op Op, topic string) error
}

// GroupPolicy is implemented by a Policy that also decides on consumer groups, like Kafka's
// GROUP ACLs: AllowGroup returns nil when p may consume topic through consumer group group
// (read the group's window, commit its offsets, read its lag), or an error of kind
// Forbidden. A Policy that does not implement it grants no consumer group.
type GroupPolicy interface {
	AllowGroup(p *Principal, topic, group string) error
}

// AllowAll is the policy that lets every authenticated principal do everything.
type AllowAll struct{}

// Allow implements Policy.
func (AllowAll) Allow(*Principal, Op, string) error { return nil }

// AllowGroup implements GroupPolicy.
func (AllowAll) AllowGroup(*Principal, string, string) error { return nil }

// Guard authenticates requests with the first Authenticator that recognises their
// credentials and authorises them with Policy.
type Guard struct {
	authenticators []Authenticator
	policy         Policy
	dev            bool
}

// NewGuard returns a Guard. With no authenticators every request is refused with 401.
func NewGuard(policy Policy, authenticators ...Authenticator) *Guard {
	if policy == nil {
		policy = AllowAll{}
	}
	return &Guard{authenticators: authenticators, policy: policy}
}

// NewDevGuard returns the insecure dev-mode Guard: every request is the Dev principal and
// every operation is allowed. Only for a loopback-only local server.
func NewDevGuard() *Guard { return &Guard{policy: AllowAll{}, dev: true} }

// Dev reports whether g is the insecure dev-mode guard.
func (g *Guard) Dev() bool { return g.dev }

// Authenticate establishes the request's principal.
func (g *Guard) Authenticate(r *http.Request) (*Principal, error) {
	if g.dev {
		return Dev, nil
	}
	for _, a := range g.authenticators {
		p, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		if err != nil {
			return nil, &challengeError{err: err, challenge: a.Challenge(err)}
		}
		return p, nil
	}
	var challenges []string // every scheme's challenge (RFC 9110 §11.6.1 allows several)
	for _, a := range g.authenticators {
		if c := a.Challenge(ErrNoCredentials); c != "" && !slices.Contains(challenges, c) {
			challenges = append(challenges, c)
		}
	}
	challenge := strings.Join(challenges, ", ")
	return nil, &challengeError{
		err:       apierr.E(apierr.Unauthorized, "unauthorized", "credentials are required"),
		challenge: challenge,
	}
}

// Allow reports whether the principal in ctx may perform op on topic.
func (g *Guard) Allow(ctx context.Context, op Op, topic string) error {
	p, ok := FromContext(ctx)
	if !ok {
		return apierr.E(apierr.Unauthorized, "unauthorized", "credentials are required")
	}
	if g.dev {
		return nil
	}
	return g.policy.Allow(p, op, topic)
}

// AllowGroup reports whether the principal in ctx may consume topic through consumer group
// group (its window, commits and lag): the policy's GroupPolicy decides; a policy without
// one grants no group.
func (g *Guard) AllowGroup(ctx context.Context, topic, group string) error {
	p, ok := FromContext(ctx)
	if !ok {
		return apierr.E(apierr.Unauthorized, "unauthorized", "credentials are required")
	}
	if g.dev {
		return nil
	}
	gp, ok := g.policy.(GroupPolicy)
	if !ok {
		if err := g.policy.Allow(p, OpConsume, topic); err != nil {
			return err
		}
		return apierr.E(apierr.Forbidden, "forbidden", "the caller may not use consumer group "+strconv.Quote(group))
	}
	return gp.AllowGroup(p, topic, group)
}

// Wrap authenticates every request, authorises op on the path's {topic} (or cluster-wide
// when the pattern has none), puts the principal in the context and calls h. Failures are
// answered with a JSON 401 (with WWW-Authenticate) or 403. Authentication from headers
// (bearer tokens) happens before the body is read, so it costs an unauthenticated caller no
// body budget (httpio.WithBodyBudget).
func (g *Guard) Wrap(op Op, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := g.Authenticate(r)
		if err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		// The caller is known before the handler reads the body: it is budgeted as an
		// authenticated one (a TC3 body, read to verify it, leaves the unauthenticated share).
		httpio.MarkAuthenticated(r)
		r = withPrincipal(r, p)
		if err := g.Allow(r.Context(), op, r.PathValue("topic")); err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

type challengeError struct {
	err       error
	challenge string
}

func (e *challengeError) Error() string { return e.err.Error() }
func (e *challengeError) Unwrap() error { return e.err }

// Challenge is the WWW-Authenticate value httpio.WriteError sets on the 401.
func (e *challengeError) Challenge() string { return e.challenge }

// HasAny reports whether any of want is in have.
func HasAny(have, want []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}
