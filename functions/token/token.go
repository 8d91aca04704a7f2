package token

import (
	"context"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/entra"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/config/entraenv"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// MaxBodyBytes caps the request body. A token request is a few hundred bytes.
const MaxBodyBytes = 16 << 10

// maxSecretBytes caps client_secret (Entra secrets are 40 characters).
const maxSecretBytes = 1 << 10

// Routes is the token function's public surface, for the deploy descriptors.
var Routes = auth.Specs((&handler{}).routes())

// routes is the route table: Register and Routes both read it. The route is Public: the
// caller authenticates with its client credentials, which Entra ID checks.
func (h *handler) routes() []auth.Route {
	return []auth.Route{
		{Route: httpio.Route{Method: "POST", Path: "/v1/token", Name: "Token"}, Op: auth.Public, Handle: h.serve},
	}
}

// Deps is what the route needs.
type Deps struct {
	// Source issues the tokens. Nil: the route is not configured (TOKEN_TENANT_ID is not
	// set) and answers 404 route_not_found, saying how to turn it on.
	Source *entra.Source
	Config entra.Config
	Limits httpio.Limits // RequestTimeout and DeadlineMargin bound each request
	Log    *slog.Logger  // default slog.Default()
}

// Register adds the route to mux.
func Register(mux *http.ServeMux, d Deps) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Limits.RequestTimeout <= 0 {
		d.Limits.RequestTimeout = httpio.DefaultRequestTimeout
	}
	h := &handler{Deps: d, throttle: newThrottle(d.Config.FailureLimit, d.Config.FailureWindow)}
	auth.Register(mux, auth.Table{Routes: h.routes(), Timeout: d.Limits.RequestTimeout, Margin: d.Limits.DeadlineMargin})
}

// Build is the token function's platform.BuildFunc. It makes no network calls.
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	cfg, err := entraenv.FromEnv(env.Getenv)
	if err != nil {
		return platform.App{}, err
	}
	limits, err := config.LimitsFromEnv(env.Getenv)
	if err != nil {
		return platform.App{}, err
	}
	ops, reg, err := config.LoadOps(env)
	if err != nil {
		return platform.App{}, err
	}
	src, err := entra.New(cfg)
	if err != nil {
		return platform.App{}, err
	}
	mux := http.NewServeMux()
	Register(mux, Deps{Source: src, Config: cfg, Limits: limits, Log: env.Log})
	return platform.App{HTTP: httpio.Serve(mux, env.Log, httpio.WithBodyBudget(limits), httpio.WithOps(ops, reg))}, nil
}

type handler struct {
	Deps
	throttle *throttle
}

// Response is the OAuth2 token response.
type Response struct {
	TokenType   string `json:"token_type"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// ErrorResponse is the OAuth2 error response.
type ErrorResponse struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (h *handler) serve(r *httpio.Request) (httpio.Response, error) {
	if h.Source == nil {
		return nil, apierr.E(apierr.NotFound, "route_not_found",
			"POST /v1/token is not configured on this server: set TOKEN_TENANT_ID (and TOKEN_ALLOWED_SCOPES) to serve it; see docs/auth-entra.md")
	}
	w := r.Writer()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	body, err := httpio.ReadBody(w, r.Request, MaxBodyBytes)
	if err != nil {
		return nil, h.fail("", err)
	}
	user, pass, basic := r.BasicAuth()
	if !basic && r.Header.Get("Authorization") != "" {
		return nil, h.fail("", oauthErr(apierr.Unauthorized, entra.CodeInvalidClient, "only HTTP Basic client authentication is supported in the Authorization header"))
	}
	req, err := ParseRequest(r.Header.Get("Content-Type"), body, Basic{User: user, Password: pass, Set: basic})
	if err != nil {
		return nil, h.fail("", err)
	}
	scopes, err := h.scopes(req.Scope)
	if err != nil {
		return nil, h.fail(req.ClientID, err)
	}
	cred := entra.Credential{ClientID: req.ClientID, Secret: req.ClientSecret}
	if wait, blocked := h.throttle.blocked(req.ClientID); blocked && !h.Source.Known(cred) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return nil, h.fail(req.ClientID, oauthErr(apierr.TooManyRequests, "slow_down",
			"too many failed attempts for this client_id; retry after "+strconv.Itoa(int(math.Ceil(wait.Seconds())))+" seconds"))
	}
	tok, err := h.Source.Token(r.Context(), cred, scopes)
	if err != nil {
		if apierr.CodeOf(err) == entra.CodeInvalidClient {
			h.throttle.fail(req.ClientID)
		}
		return nil, h.fail(req.ClientID, err)
	}
	h.throttle.reset(req.ClientID)
	h.Log.DebugContext(r.Context(), "token: issued", "client_id", req.ClientID, "scope", strings.Join(scopes, " "), "from_cache", tok.FromCache)
	return httpio.OK(Response{
		TokenType:   "Bearer",
		AccessToken: tok.AccessToken,
		ExpiresIn:   max(0, int64(time.Until(tok.ExpiresOn).Seconds())),
	}), nil
}

// scopes checks the requested scopes against the allowed ones; none means the first allowed.
func (h *handler) scopes(scope string) ([]string, error) {
	allowed := h.Config.AllowedScopes
	if len(allowed) == 0 {
		allowed = []string{entra.DefaultScope}
	}
	req := strings.Fields(scope)
	if len(req) == 0 {
		return allowed[:1], nil
	}
	slices.Sort(req)
	req = slices.Compact(req)
	for _, s := range req {
		if !slices.Contains(allowed, s) {
			return nil, oauthErr(apierr.Invalid, entra.CodeInvalidScope, "the requested scope is not offered here; allowed: "+strings.Join(allowed, " "))
		}
	}
	return req, nil
}

// fail writes err as an OAuth2 error with the status httpio maps its kind to, and logs it
// (the error texts hold no secrets).
func (h *handler) fail(clientID string, err error) error {
	return &oauthFailure{log: h.Log, clientID: clientID, err: err}
}

// oauthFailure is a refused token request. It writes itself (httpio.Encode) as an OAuth2
// error body, with a Basic challenge on 401.
type oauthFailure struct {
	log      *slog.Logger
	clientID string
	err      error
}

func (e *oauthFailure) Error() string { return e.err.Error() }
func (e *oauthFailure) Unwrap() error { return e.err }

// WriteResponse implements httpio.Response.
func (e *oauthFailure) WriteResponse(w http.ResponseWriter, r *http.Request) {
	err, clientID := e.err, e.clientID
	kind := apierr.KindOf(err)
	status := httpio.Status(kind)
	code := oauthCode(err)
	switch {
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="kafkafn-token"`)
	case status >= 500 && w.Header().Get("Retry-After") == "":
		w.Header().Set("Retry-After", "1")
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	e.log.Log(r.Context(), level, "token: request refused", "status", status, "error", code, "client_id", clientID, "err", err.Error())
	httpio.WriteJSON(w, status, ErrorResponse{Error: code, Description: apierr.MessageOf(err)})
}

// oauthCode is err's code when it is an OAuth2 one, else the code for its kind.
func oauthCode(err error) string {
	switch c := apierr.CodeOf(err); c {
	case entra.CodeInvalidRequest, entra.CodeInvalidClient, entra.CodeInvalidScope, entra.CodeUnsupportedGrantType,
		entra.CodeServerError, entra.CodeTemporarilyUnavailable, "slow_down":
		return c
	}
	switch apierr.KindOf(err) {
	case apierr.Unauthorized:
		return entra.CodeInvalidClient
	case apierr.Unavailable, apierr.Timeout, apierr.TooManyRequests:
		return entra.CodeTemporarilyUnavailable
	case apierr.Internal, apierr.BadGateway:
		return entra.CodeServerError
	default:
		return entra.CodeInvalidRequest
	}
}

func oauthErr(kind apierr.Kind, code, msg string) error { return apierr.E(kind, code, msg) }

// Basic is the HTTP Basic credential of a request, if any.
type Basic struct {
	User, Password string
	Set            bool
}

// Request is a decoded token request.
type Request struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Scope        string `json:"scope"`
}

// ParseRequest decodes and checks a token request: the body (form or JSON, by content type)
// and the Basic credential. The returned errors carry OAuth2 codes and never echo the secret.
func ParseRequest(contentType string, body []byte, basic Basic) (Request, error) {
	var req Request
	mt, _, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		return req, oauthErr(apierr.UnsupportedMedia, entra.CodeInvalidRequest,
			"the body must be application/x-www-form-urlencoded or application/json")
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return req, oauthErr(apierr.Invalid, entra.CodeInvalidRequest, "the form body is not valid URL encoding")
		}
		for name, vals := range form {
			if len(vals) > 1 {
				return req, oauthErr(apierr.Invalid, entra.CodeInvalidRequest, "parameter "+strconv.Quote(apierr.Clip(name, 40))+" is repeated")
			}
		}
		req = Request{GrantType: form.Get("grant_type"), ClientID: form.Get("client_id"),
			ClientSecret: form.Get("client_secret"), Scope: form.Get("scope")}
	case "application/json":
		if err := httpio.Unmarshal(body, &req); err != nil {
			return req, oauthErr(apierr.Invalid, entra.CodeInvalidRequest, jsonProblem(err))
		}
	default:
		return req, oauthErr(apierr.UnsupportedMedia, entra.CodeInvalidRequest,
			"the body must be application/x-www-form-urlencoded or application/json")
	}
	if basic.Set {
		// RFC 6749 §2.3.1 form-encodes Basic credentials before base64, but most clients send
		// them raw. Percent escapes are decoded; '+' is kept (old Entra secrets contain it).
		id, err1 := url.PathUnescape(basic.User)
		secret, err2 := url.PathUnescape(basic.Password)
		switch {
		case err1 != nil || err2 != nil:
			return req, oauthErr(apierr.Unauthorized, entra.CodeInvalidClient, "the Basic credentials are not valid form encoding")
		case req.ClientSecret != "":
			return req, oauthErr(apierr.Invalid, entra.CodeInvalidRequest, "send the client secret in the body or with HTTP Basic, not both")
		case req.ClientID != "" && req.ClientID != id:
			return req, oauthErr(apierr.Invalid, entra.CodeInvalidRequest, "client_id in the body does not match the Basic credentials")
		}
		req.ClientID, req.ClientSecret = id, secret
	}
	switch {
	case req.GrantType == "":
		return req, oauthErr(apierr.Invalid, entra.CodeInvalidRequest, "grant_type is required")
	case req.GrantType != "client_credentials":
		return req, oauthErr(apierr.Invalid, entra.CodeUnsupportedGrantType, "only grant_type=client_credentials is supported")
	case req.ClientID == "":
		return req, oauthErr(apierr.Invalid, entra.CodeInvalidRequest, "client_id is required")
	case !isGUID(req.ClientID):
		return req, oauthErr(apierr.Invalid, entra.CodeInvalidRequest, "client_id must be the application (client) ID, a GUID")
	case req.ClientSecret == "":
		return req, oauthErr(apierr.Unauthorized, entra.CodeInvalidClient, "client_secret is required (this route supports client secrets only)")
	case len(req.ClientSecret) > maxSecretBytes:
		return req, oauthErr(apierr.Unauthorized, entra.CodeInvalidClient, "client authentication failed")
	case len(req.Scope) > 1024:
		return req, oauthErr(apierr.Invalid, entra.CodeInvalidScope, "scope is too long")
	}
	req.ClientID = strings.ToLower(req.ClientID)
	return req, nil
}

// jsonProblem describes a JSON decode failure without echoing the body (which holds the
// secret): httpio's messages name fields and byte offsets only.
func jsonProblem(err error) string {
	if m := apierr.MessageOf(err); m != "" {
		return m
	}
	return "the JSON body is not valid"
}

// isGUID reports whether s is a GUID in its 8-4-4-4-12 hex form, any case: what Entra ID
// application (client) IDs look like.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if l := c | 0x20; !(c >= '0' && c <= '9' || l >= 'a' && l <= 'f') {
				return false
			}
		}
	}
	return true
}
