// Package authconfig builds the auth.Guard that protects the Kafka routes from the
// environment. It is secure by default: with no scheme configured, start-up fails and says
// which variables to set; the insecure dev mode is refused unless the server listens only on
// loopback, and cannot be mixed with real credentials.
//
// Schemes, tried in this order: the AWS front door's verified caller (AUTH_AWS_AUTHORIZER,
// Lambda only, shared/auth/awsauth); bearer tokens of any OIDC issuer (AUTH_OIDC) and of the
// Entra ID preset (AUTH_ENTRA_TENANT_ID and friends), one authenticator routing by iss
// (shared/auth/bearer); API keys over HTTP Basic (AUTH_API_KEYS, shared/auth/apikey); and
// TC3-HMAC-SHA256 signatures (AUTH_TC3_CREDENTIALS, service AUTH_TC3_SERVICE) on every route,
// with the request path as the canonical URI (shared/auth/tc3). A 401 carries every scheme's
// WWW-Authenticate challenge.
//
// Authorisation: AUTH_POLICY (shared/auth/policy) or, without it, policy.Default.
package authconfig

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/apikey"
	"github.com/kafkafn/kafkafn/shared/auth/awsauth"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/policy"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/config/authenv"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// ErrNoAuth is returned (wrapped, with the variables to set) when no authentication scheme
// is configured.
var ErrNoAuth = errors.New("authconfig: no authentication configured")

// Option configures Guard.
type Option func(*options)

type options struct {
	tc3            bool
	authenticators []auth.Authenticator
	bearer         []bearer.Option
	log            *slog.Logger
}

// WithTC3 says the binary serves the TC3-signed CKafka SendMessage action. TC3 signatures are
// accepted on every route now, so AUTH_TC3_CREDENTIALS counts as configured authentication in
// every binary; the option remains for the binaries that pass it.
func WithTC3() Option { return func(o *options) { o.tc3 = true } }

// WithAuthenticators adds authenticators of the binary's own; they count as configured
// schemes and are tried before the bearer authenticator.
func WithAuthenticators(a ...auth.Authenticator) Option {
	return func(o *options) { o.authenticators = append(o.authenticators, a...) }
}

// WithBearerOptions passes options to the Entra ID bearer authenticator (tests give it the
// fake Entra ID's HTTP client).
func WithBearerOptions(opts ...bearer.Option) Option {
	return func(o *options) { o.bearer = append(o.bearer, opts...) }
}

// WithLogger sets the logger for the start-up summary and the dev-mode warning.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Guard builds the Guard for a binary started in env.
func Guard(env platform.Env, opts ...Option) (*auth.Guard, error) {
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	ac, err1 := authenv.AuthFromEnv(env.Getenv)
	oidc, err6 := authenv.OIDCFromEnv(env.Getenv)
	ec, err2 := authenv.EntraFromEnv(env.Getenv)
	pc, err3 := authenv.PolicyFromEnv(env.Getenv)
	tc, err4 := authenv.TC3FromEnv(env.Getenv)
	lim, err5 := config.LimitsFromEnv(env.Getenv)
	if err := errors.Join(err1, err6, err2, err3, err4, err5); err != nil {
		return nil, err
	}

	var configured []string // the variables that configure a scheme or the policy
	if ec.Enabled() {
		configured = append(configured, "AUTH_ENTRA_TENANT_ID")
	}
	if len(ac.APIKeys) > 0 {
		configured = append(configured, "AUTH_API_KEYS")
	}
	if len(oidc) > 0 {
		configured = append(configured, "AUTH_OIDC")
	}
	if ac.AWSAuthorizer {
		configured = append(configured, "AUTH_AWS_AUTHORIZER")
		if err := awsauth.Check(env.Platform); err != nil {
			return nil, fmt.Errorf("%w (platform %s); unset it, or deploy to Lambda behind API Gateway or a Function URL with IAM or an authorizer", err, env.Platform)
		}
	}
	if tc.Enabled() {
		configured = append(configured, "AUTH_TC3_CREDENTIALS")
	}
	if pc.Set() {
		configured = append(configured, "AUTH_POLICY")
	}
	if ac.InsecureDev {
		if !env.LoopbackOnly {
			return nil, errors.New("AUTH_INSECURE_DEV: refused: the insecure dev mode needs a local server listening on loopback only " +
				"(platform " + env.Platform + "); configure real authentication instead")
		}
		if len(configured) > 0 {
			return nil, fmt.Errorf("AUTH_INSECURE_DEV: refused: it cannot be combined with %s; unset AUTH_INSECURE_DEV to use real authentication",
				strings.Join(configured, ", "))
		}
		o.log.Warn("AUTH_INSECURE_DEV=true: every route is OPEN without credentials; loopback only, never deploy this")
		return auth.NewDevGuard(), nil
	}

	pol := policy.Default()
	polName := "default (produce, consume, metadata for every authenticated caller; no admin)"
	if pc.Set() {
		if pol, err1 = policy.Parse(pc.Source, pc.JSON); err1 != nil {
			return nil, err1
		}
		polName = pc.Source
		if pol.ConsumeWithoutGroups() {
			o.log.Warn("AUTH_POLICY grants consume but names no consumer group: the group window, commit and lag routes answer 403 to every caller; add \"groups\" to the rules that should use them (\"groups\":[\"*\"] for every group)",
				"policy", pc.Source)
		}
	}
	authenticators := append([]auth.Authenticator(nil), o.authenticators...)
	schemes := make([]string, 0, 3)
	if len(o.authenticators) > 0 {
		schemes = append(schemes, "custom")
	}
	if ac.AWSAuthorizer { // first: the front door's verdict is authoritative
		issuers := map[string]auth.ClaimSet{}
		for _, is := range oidc {
			issuers[is.Issuer] = auth.ClaimSet{Issuer: is.Name, Subject: is.SubjectClaim, Groups: is.GroupsClaim, Roles: is.RolesClaim, Audience: is.Audience}
		}
		authenticators = append(authenticators, awsauth.New(issuers))
		schemes = append(schemes, "aws authorizer context")
	}
	var entra *bearer.Authenticator
	if ec.Enabled() {
		b, err := bearer.New(ec, o.bearer...)
		if err != nil {
			return nil, fmt.Errorf("authconfig: %w", err)
		}
		entra = b
		schemes = append(schemes, "entra")
	}
	switch {
	case len(oidc) > 0: // one bearer authenticator routes each token to its issuer
		b, err := bearer.NewOIDC(oidc, entra, o.bearer...)
		if err != nil {
			return nil, fmt.Errorf("authconfig: AUTH_OIDC: %w", err)
		}
		authenticators = append(authenticators, b)
		for _, is := range oidc {
			schemes = append(schemes, "oidc "+is.Name)
		}
	case entra != nil:
		authenticators = append(authenticators, entra)
	}
	if len(ac.APIKeys) > 0 {
		k, err := apikey.New(ac.APIKeys)
		if err != nil {
			return nil, fmt.Errorf("authconfig: %w", err)
		}
		authenticators = append(authenticators, k)
		schemes = append(schemes, fmt.Sprintf("api keys (%d)", len(ac.APIKeys)))
	}
	if tc.Enabled() {
		v, err := tc3.NewVerifier(ac.TC3Service, tc.Keys, tc3.WithPublicHosts(tc.PublicHosts...), tc3.WithMaxBody(lim.MaxBodyBytes))
		if err != nil {
			return nil, fmt.Errorf("authconfig: AUTH_TC3_CREDENTIALS: %w", err)
		}
		authenticators = append(authenticators, v)
		schemes = append(schemes, "tc3 (service "+ac.TC3Service+", every route)")
	}
	if len(schemes) == 0 {
		vars := "AUTH_ENTRA_TENANT_ID and AUTH_ENTRA_AUDIENCE (Entra ID bearer tokens), AUTH_API_KEYS (API keys), AUTH_OIDC (OpenID Connect issuers), AUTH_AWS_AUTHORIZER=true (on Lambda: the API Gateway or Function URL authorizer's caller)"
		vars += ", AUTH_TC3_CREDENTIALS (TC3-HMAC-SHA256 signatures)"
		return nil, fmt.Errorf("%w: set %s, or AUTH_INSECURE_DEV=true for a local server on loopback only", ErrNoAuth, vars)
	}
	o.log.Info("auth configured", "schemes", strings.Join(schemes, ", "), "policy", polName)
	return auth.NewGuard(pol, authenticators...), nil
}
