package bearer

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
)

// MaxTokenBytes caps the bearer token. Entra access tokens are 1–4 KiB.
const MaxTokenBytes = 16 << 10

// Leeway is the clock skew allowed on exp and nbf.
const Leeway = 2 * time.Minute

// Scheme is the Principal.Scheme of Entra ID callers.
const Scheme = "entra"

// Errors, as callers see them. Each failed check is logged; none is shown.
var (
	errInvalidRequest = badRequest("token over 16 KiB")
	errForbidden      = apierr.E(apierr.Forbidden, "forbidden", "the caller has none of the app roles or groups this service requires")
	errOverage        = apierr.E(apierr.Forbidden, "groups_overage",
		"the token carries no group list because the caller belongs to too many groups (groups overage); "+
			"grant the caller an allowed app role instead")
)

// badRequest is an invalid_request error; reason is for the log only.
func badRequest(reason string) *apierr.Error {
	return apierr.Wrap(apierr.Unauthorized, "invalid_request", "the Authorization header is not a valid bearer token",
		errors.New("bearer: authorization header: "+reason))
}

func invalidToken(cause error) error {
	return apierr.Wrap(apierr.Unauthorized, "invalid_token", "the bearer token is invalid", cause)
}

// Claims are the access-token claims kafkafn reads.
type Claims struct {
	jwt.RegisteredClaims
	TenantID   string            `json:"tid"`
	Version    string            `json:"ver"`
	AppID      string            `json:"appid,omitempty"` // v1: the calling client
	AZP        string            `json:"azp,omitempty"`   // v2: the calling client
	ObjectID   string            `json:"oid,omitempty"`
	IDType     string            `json:"idtyp,omitempty"` // "app" for app-only tokens
	Name       string            `json:"name,omitempty"`
	Roles      []string          `json:"roles,omitempty"`
	Groups     []string          `json:"groups,omitempty"`
	HasGroups  bool              `json:"hasgroups,omitempty"`    // implicit-flow overage
	ClaimNames map[string]string `json:"_claim_names,omitempty"` // {"groups":"src1"} on overage
}

// ClientID is the calling application's client ID (azp in v2, appid in v1).
func (c *Claims) ClientID() string {
	if c.AZP != "" {
		return c.AZP
	}
	return c.AppID
}

// Overage reports whether the token's group list was left out (groups overage).
func (c *Claims) Overage() bool {
	_, ok := c.ClaimNames["groups"]
	return ok || c.HasGroups
}

// Authenticator validates Entra ID bearer tokens. It implements auth.Authenticator and is
// safe for concurrent use; build one per process.
type Authenticator struct {
	cfg      EntraConfig
	issuerV1 string
	issuerV2 string
	keys     *keyStore
	kf       keyfunc.Keyfunc
	parser   *jwt.Parser
	log      *slog.Logger
}

var _ auth.Authenticator = (*Authenticator)(nil)

// Option configures an Authenticator.
type Option func(*options)

type options struct {
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
}

// WithHTTPClient sets the client used to fetch the key sets (default: a client with a 5 s
// timeout). Tests pass the fake Entra ID's client.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithLogger sets the logger for rejected tokens (debug) and key-set failures (warn).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// newOptions applies opts over the defaults: time.Now, an HTTP client with keysHTTPTimeout
// and slog.Default.
func newOptions(opts []Option) options {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: keysHTTPTimeout}
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	return o
}

// New returns an Authenticator for cfg, which must be enabled (cfg.TenantID set). It makes no
// network calls.
func New(cfg EntraConfig, opts ...Option) (*Authenticator, error) {
	o := newOptions(opts)
	if !cfg.Enabled() {
		return nil, errors.New("bearer: new: AUTH_ENTRA_TENANT_ID is not set")
	}
	if len(cfg.Audiences) == 0 {
		return nil, errors.New("bearer: new: AUTH_ENTRA_AUDIENCE is not set")
	}
	host := cfg.AuthorityHost
	if host == "" {
		host = DefaultAuthorityHost
	}
	if !strings.HasPrefix(host, "https://") {
		return nil, errors.New("bearer: new: the authority host must use https")
	}
	host = strings.TrimSuffix(host, "/")
	cfg.AuthorityHost = host
	base := host + "/" + cfg.TenantID
	keys := newKeyStore([]string{base + "/discovery/v2.0/keys", base + "/discovery/keys"}, o.client, o.log)
	keys.now = o.now
	kf, err := keyfunc.New(keyfunc.Options{Storage: keys, UseWhitelist: []jwkset.USE{jwkset.UseSig}})
	if err != nil {
		return nil, fmt.Errorf("bearer: new: %w", err)
	}
	return &Authenticator{
		cfg:      cfg,
		issuerV1: v1IssuerHost(host) + "/" + cfg.TenantID + "/",
		issuerV2: base + "/v2.0",
		keys:     keys,
		kf:       kf,
		log:      o.log,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
			jwt.WithAudience(cfg.Audiences...),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(Leeway),
			jwt.WithTimeFunc(o.now),
		),
	}, nil
}

// v1IssuerHost is the host of v1.0 token issuers for a login host: sts.windows.net for the
// public and US Government clouds, sts.chinacloudapi.cn for Azure China.
func v1IssuerHost(loginHost string) string {
	switch loginHost {
	case "https://login.chinacloudapi.cn", "https://login.partner.microsoftonline.cn":
		return "https://sts.chinacloudapi.cn"
	}
	return "https://sts.windows.net"
}

// Authenticate implements auth.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (*auth.Principal, error) {
	raw, err := requestToken(r, a.log)
	if err != nil {
		return nil, err
	}
	return a.authenticate(r.Context(), raw)
}

// requestToken is the bearer token of r's Authorization header (ParseAuthorization); a
// malformed header is logged at debug level, never with its value.
func requestToken(r *http.Request, log *slog.Logger) (string, error) {
	raw, err := ParseAuthorization(r.Header.Values("Authorization"))
	if err != nil && !errors.Is(err, auth.ErrNoCredentials) {
		log.DebugContext(r.Context(), "bearer: request rejected", "reason", err.Error())
	}
	return raw, err
}

func (a *Authenticator) authenticate(ctx context.Context, raw string) (*auth.Principal, error) {
	c, err := a.Validate(ctx, raw)
	if err != nil {
		return nil, err
	}
	if err := a.Authorize(c); err != nil {
		a.log.DebugContext(ctx, "bearer: token not authorised", "reason", apierr.CodeOf(err),
			"oid", c.ObjectID, "client_id", c.ClientID(), "roles", c.Roles, "groups", len(c.Groups))
		return nil, err
	}
	return principal(c), nil
}

// issuers are the two issuer values of this tenant's tokens.
func (a *Authenticator) issuers() []string { return []string{a.issuerV1, a.issuerV2} }

func principal(c *Claims) *auth.Principal {
	id := c.ObjectID
	if id == "" {
		id = c.ClientID()
	}
	name := c.Name
	if name == "" {
		name = c.ClientID()
	}
	return &auth.Principal{
		Scheme: Scheme,
		ID:     id,
		Name:   name,
		Roles:  slices.Clone(c.Roles),
		Groups: lower(slices.Clone(c.Groups)),
	}
}

// Challenge implements auth.Authenticator: the WWW-Authenticate value for a 401.
func (a *Authenticator) Challenge(err error) string { return challenge(err) }

func challenge(err error) string {
	switch {
	case errors.Is(err, auth.ErrNoCredentials):
		return "Bearer"
	case apierr.KindOf(err) != apierr.Unauthorized:
		return ""
	case apierr.CodeOf(err) == "invalid_request":
		return `Bearer error="invalid_request"`
	default:
		return `Bearer error="invalid_token"`
	}
}

// Validate checks raw (a compact JWT) and returns its claims. Errors are of kind
// Unauthorized (code invalid_token) or, when the tenant's keys cannot be fetched,
// Unavailable.
func (a *Authenticator) Validate(ctx context.Context, raw string) (*Claims, error) {
	if len(raw) > MaxTokenBytes {
		return nil, errInvalidRequest
	}
	c := &Claims{}
	_, err := a.parser.ParseWithClaims(raw, c, a.keyfunc(ctx))
	if err == nil {
		err = a.checkIssuer(c)
	}
	if err != nil {
		if errors.Is(err, errKeysUnavailable) {
			a.log.WarnContext(ctx, "bearer: cannot validate tokens", "err", err.Error())
			return nil, apierr.Wrap(apierr.Unavailable, "keys_unavailable",
				"the identity provider's signing keys could not be fetched; retry later", err)
		}
		a.log.DebugContext(ctx, "bearer: token rejected", "reason", err.Error())
		return nil, invalidToken(err)
	}
	return c, nil
}

func (a *Authenticator) checkIssuer(c *Claims) error {
	switch {
	case c.Issuer == a.issuerV1 && c.Version == "1.0":
	case c.Issuer == a.issuerV2 && c.Version == "2.0":
	default:
		return fmt.Errorf("bearer: validate: issuer %.200q with ver %.8q is not this tenant's", c.Issuer, c.Version)
	}
	if !strings.EqualFold(c.TenantID, a.cfg.TenantID) {
		return fmt.Errorf("bearer: validate: tid %.64q is not the configured tenant", c.TenantID)
	}
	return nil
}

// keyfunc picks the verification key by kid through keyfunc and insists on an RSA key of at
// least 2048 bits. Tokens without a kid are refused (Entra always sends one).
func (a *Authenticator) keyfunc(ctx context.Context) jwt.Keyfunc {
	kf := a.kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		key, err := keyByKid(kf, t)
		if err != nil {
			return nil, err
		}
		pub, ok := key.(*rsa.PublicKey)
		if !ok || pub.N.BitLen() < 2048 {
			return nil, errors.New("bearer: validate: the key is not an RSA key of 2048 bits or more")
		}
		return pub, nil
	}
}

// keyByKid refuses a token without a kid and looks its key up through kf.
func keyByKid(kf jwt.Keyfunc, t *jwt.Token) (any, error) {
	if kid, _ := t.Header["kid"].(string); kid == "" {
		return nil, errors.New("bearer: validate: the token has no kid")
	}
	return kf(t)
}

// Authorize checks c against the allowed roles and groups. With neither configured every
// valid token is allowed.
func (a *Authenticator) Authorize(c *Claims) error {
	if len(a.cfg.AllowedRoles) == 0 && len(a.cfg.AllowedGroups) == 0 {
		return nil
	}
	if auth.HasAny(c.Roles, a.cfg.AllowedRoles) {
		return nil
	}
	for _, g := range c.Groups {
		if slices.Contains(a.cfg.AllowedGroups, strings.ToLower(g)) {
			return nil
		}
	}
	if len(a.cfg.AllowedGroups) > 0 && c.Overage() {
		return errOverage
	}
	return errForbidden
}

// ParseAuthorization extracts the bearer token from the Authorization header values. It
// returns auth.ErrNoCredentials when there is no header or it uses another scheme, and an
// invalid_request error when the header is malformed or the token is over MaxTokenBytes. The
// token is checked only for its character set (base64url and dots), not parsed.
func ParseAuthorization(values []string) (string, error) {
	var found []string
	for _, v := range values {
		if scheme, _, _ := strings.Cut(strings.TrimLeft(v, " "), " "); strings.EqualFold(scheme, "Bearer") {
			found = append(found, v)
		}
	}
	switch {
	case len(found) == 0:
		return "", auth.ErrNoCredentials
	case len(found) > 1 || len(values) > 1:
		return "", badRequest("more than one Authorization header") // one header, one credential
	}
	v := strings.TrimLeft(found[0], " ")
	if len(v) > len("Bearer ")+MaxTokenBytes+2 {
		return "", errInvalidRequest
	}
	_, token, _ := strings.Cut(v, " ")
	token = strings.Trim(token, " ")
	switch {
	case token == "":
		return "", badRequest("no token after Bearer")
	case len(token) > MaxTokenBytes:
		return "", errInvalidRequest
	}
	for i := 0; i < len(token); i++ {
		if !isTokenChar(token[i]) {
			return "", badRequest("a character outside base64url in the token")
		}
	}
	return token, nil
}

// isTokenChar reports whether b may appear in a compact JWS: base64url and '.'. RFC 6750's
// token68 also allows '+', '/', '~' and trailing '=', which no JWT contains.
func isTokenChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.'
}

func lower(s []string) []string {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	return s
}
