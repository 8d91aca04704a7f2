package bearer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
)

// OIDCAlgorithms are the only signature algorithms accepted from OIDC issuers: never none,
// never HMAC (which would let a public key be used as a shared secret).
var OIDCAlgorithms = []string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg(), jwt.SigningMethodPS256.Alg()}

// OIDC validates access tokens of any number of OpenID Connect issuers (AUTH_OIDC), and of the
// Entra ID preset when one is given. A token is routed by its (unverified) iss claim to the
// one issuer configured with exactly that value; its signature, iss, aud (or, for tokens
// without aud such as Cognito access tokens, client_id), exp (required), nbf and iat (with
// Leeway) are then checked against that issuer alone. It implements auth.Authenticator and is
// safe for concurrent use.
type OIDC struct {
	issuers map[string]*oidcIssuer // by iss
	entra   *Authenticator
	log     *slog.Logger
}

type oidcIssuer struct {
	cfg    OIDCIssuer
	claims auth.ClaimSet
	kf     keyfunc.Keyfunc
	parser *jwt.Parser
}

var _ auth.Authenticator = (*OIDC)(nil)

// NewOIDC returns an authenticator for issuers and, when entra is not nil, the Entra ID
// preset. It makes no network calls: discovery and keys are fetched on first use.
func NewOIDC(issuers []OIDCIssuer, entra *Authenticator, opts ...Option) (*OIDC, error) {
	o := newOptions(opts)
	a := &OIDC{issuers: map[string]*oidcIssuer{}, entra: entra, log: o.log}
	for _, c := range issuers {
		if _, dup := a.issuers[c.Issuer]; dup {
			return nil, fmt.Errorf("bearer: new oidc: issuer %s is configured twice", c.Issuer)
		}
		if entra != nil && slices.Contains(entra.issuers(), c.Issuer) {
			return nil, fmt.Errorf("bearer: new oidc: issuer %s is the Entra ID preset's; configure it once", c.Issuer)
		}
		if len(c.Audience) == 0 {
			return nil, fmt.Errorf("bearer: new oidc: issuer %s has no audience", c.Issuer)
		}
		var keys *keyStore
		if c.JWKSURI != "" {
			keys = newKeyStore([]string{c.JWKSURI}, o.client, o.log)
		} else {
			keys = newKeyStore(nil, o.client, o.log)
			keys.discovery = strings.TrimSuffix(c.Issuer, "/") + "/.well-known/openid-configuration"
			keys.issuer = c.Issuer
		}
		keys.ec = true
		keys.now = o.now
		kf, err := keyfunc.New(keyfunc.Options{Storage: keys, UseWhitelist: []jwkset.USE{jwkset.UseSig}})
		if err != nil {
			return nil, fmt.Errorf("bearer: new oidc: %w", err)
		}
		a.issuers[c.Issuer] = &oidcIssuer{
			cfg:    c,
			claims: auth.ClaimSet{Issuer: c.Name, Subject: c.SubjectClaim, Groups: c.GroupsClaim, Roles: c.RolesClaim},
			kf:     kf,
			parser: jwt.NewParser(
				jwt.WithValidMethods(OIDCAlgorithms),
				jwt.WithIssuer(c.Issuer),
				jwt.WithExpirationRequired(),
				jwt.WithIssuedAt(),
				jwt.WithLeeway(Leeway),
				jwt.WithTimeFunc(o.now),
			),
		}
	}
	if len(a.issuers) == 0 && entra == nil {
		return nil, errors.New("bearer: new oidc: no issuer")
	}
	return a, nil
}

// Authenticate implements auth.Authenticator.
func (a *OIDC) Authenticate(r *http.Request) (*auth.Principal, error) {
	raw, err := requestToken(r, a.log)
	if err != nil {
		return nil, err
	}
	return a.AuthenticateToken(r.Context(), raw)
}

// AuthenticateToken validates raw, a compact JWT, and returns its principal.
func (a *OIDC) AuthenticateToken(ctx context.Context, raw string) (*auth.Principal, error) {
	if len(raw) > MaxTokenBytes {
		return nil, errInvalidRequest
	}
	var peek jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &peek); err != nil {
		a.log.DebugContext(ctx, "bearer: token rejected", "reason", err.Error())
		return nil, invalidToken(err)
	}
	is, ok := a.issuers[peek.Issuer]
	if !ok {
		if a.entra != nil {
			return a.entra.authenticate(ctx, raw)
		}
		err := fmt.Errorf("bearer: validate: issuer %.200q is not configured", peek.Issuer)
		a.log.DebugContext(ctx, "bearer: token rejected", "reason", err.Error())
		return nil, invalidToken(err)
	}
	claims := jwt.MapClaims{}
	_, err := is.parser.ParseWithClaims(raw, claims, is.keyfunc(ctx))
	if err == nil {
		err = is.checkAudience(claims)
	}
	var p *auth.Principal
	if err == nil {
		p, err = is.claims.OIDCPrincipal(claims)
	}
	if err != nil {
		if errors.Is(err, errKeysUnavailable) {
			a.log.WarnContext(ctx, "bearer: cannot validate tokens", "issuer", is.cfg.Issuer, "err", err.Error())
			return nil, apierr.Wrap(apierr.Unavailable, "keys_unavailable",
				"the identity provider's signing keys could not be fetched; retry later", err)
		}
		a.log.DebugContext(ctx, "bearer: token rejected", "issuer", is.cfg.Issuer, "reason", err.Error())
		return nil, invalidToken(err)
	}
	return p, nil
}

// checkAudience: aud must hold a configured audience; a token without aud (a Cognito access
// token) must carry a configured client_id instead, as API Gateway JWT authorizers check.
func (is *oidcIssuer) checkAudience(claims jwt.MapClaims) error {
	if _, has := claims["aud"]; has {
		aud, err := claims.GetAudience()
		if err != nil {
			return err
		}
		if slices.ContainsFunc(aud, func(s string) bool { return slices.Contains(is.cfg.Audience, s) }) {
			return nil
		}
		return fmt.Errorf("bearer: validate: aud %.200q is not a configured audience", strings.Join(aud, " "))
	}
	if id, _ := claims["client_id"].(string); id != "" && slices.Contains(is.cfg.Audience, id) {
		return nil
	}
	return errors.New("bearer: validate: the token has no aud and no configured client_id")
}

// keyfunc picks the key by kid and insists that it fits the algorithm: RSA of at least 2048
// bits for RS256 and PS256, P-256 for ES256.
func (is *oidcIssuer) keyfunc(ctx context.Context) jwt.Keyfunc {
	kf := is.kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		key, err := keyByKid(kf, t)
		if err != nil {
			return nil, err
		}
		switch k := key.(type) {
		case *rsa.PublicKey:
			if t.Method.Alg() != "ES256" && k.N.BitLen() >= 2048 {
				return k, nil
			}
		case *ecdsa.PublicKey:
			if t.Method.Alg() == "ES256" && k.Curve == elliptic.P256() {
				return k, nil
			}
		}
		return nil, fmt.Errorf("bearer: validate: the key %T does not fit %s", key, t.Method.Alg())
	}
}

// Challenge implements auth.Authenticator.
func (a *OIDC) Challenge(err error) string { return challenge(err) }
