package saslcred

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"
)

// Token is an OAuth 2.0 access token.
type Token struct {
	Value  string
	Expiry time.Time
}

// Fetcher gets a new token. It must honour ctx.
type Fetcher func(ctx context.Context) (Token, error)

const (
	// unknownLifetime is assumed for a token whose endpoint states no expiry and that is not
	// a JWT with an exp claim: short, so it is renewed early rather than used past its end.
	unknownLifetime = 10 * time.Minute
	// fallbackLeft is the least lifetime a cached token must have left to be used when its
	// renewal failed.
	fallbackLeft = 30 * time.Second
	// maxBody bounds what is read from a token endpoint.
	maxBody = 1 << 20
	// failureHold is how long a failed fetch is answered from memory: kafka-go's metadata
	// refresh redials about every KAFKA_METADATA_TTL, and must not turn a refused secret into
	// a request per second at the identity provider.
	failureHold = time.Second
)

// Tokens caches the tokens of a Fetcher; it is safe for concurrent use.
type Tokens struct {
	fetch   Fetcher
	timeout time.Duration

	mu       sync.Mutex
	tok      Token
	issued   time.Time
	failed   error
	failedAt time.Time
	sf       singleflight.Group
}

// NewTokens caches fetch's tokens. Each fetch gets at most timeout.
func NewTokens(fetch Fetcher, timeout time.Duration) *Tokens {
	return &Tokens{fetch: fetch, timeout: timeout}
}

// Token returns a token with at least half its lifetime left, fetching one when needed.
func (t *Tokens) Token(ctx context.Context) (Token, error) {
	t.mu.Lock()
	cached, issued, failed, failedAt := t.tok, t.issued, t.failed, t.failedAt
	t.mu.Unlock()
	now := time.Now()
	if cached.Value != "" && now.Before(issued.Add(cached.Expiry.Sub(issued)/2)) {
		return cached, nil
	}
	if failed != nil && now.Sub(failedAt) < failureHold && !(cached.Value != "" && time.Until(cached.Expiry) > fallbackLeft) {
		return Token{}, failed
	}
	tok, err := sharedFetch(ctx, &t.sf, t.timeout, "token", func(fctx context.Context) (Token, error) {
		start := time.Now()
		tok, err := t.fetch(fctx)
		if err == nil && tok.Value == "" {
			err = errors.New("the token endpoint returned no access token")
		}
		if err != nil {
			t.mu.Lock()
			t.failed, t.failedAt = err, time.Now()
			t.mu.Unlock()
			return Token{}, err
		}
		if exp := jwtExpiry(tok.Value); !exp.IsZero() && (tok.Expiry.IsZero() || exp.Before(tok.Expiry)) {
			tok.Expiry = exp // the broker goes by the token's own exp
		}
		if tok.Expiry.IsZero() {
			tok.Expiry = start.Add(unknownLifetime)
		}
		if !tok.Expiry.After(start) {
			return Token{}, fmt.Errorf("the token endpoint returned a token that expired at %s", tok.Expiry.UTC().Format(time.RFC3339))
		}
		t.mu.Lock()
		t.tok, t.issued = tok, start
		t.mu.Unlock()
		return tok, nil
	})
	if err != nil && ctx.Err() == nil && cached.Value != "" && time.Until(cached.Expiry) > fallbackLeft {
		return cached, nil // the renewal failed; the cached token still has time left
	}
	return tok, err
}

// jwtExpiry reads the exp claim of a JWT without verifying it (the broker verifies the
// token; kafkafn only needs to know when to renew it). Zero when tok is not a JWT with exp.
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}
	}
	exp, err := claims.Exp.Float64()
	if err != nil || exp <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(exp), 0)
}

// httpClient trusts the system roots plus caPEM and refuses redirects: a token request is
// never re-sent elsewhere with its secret or its identity header.
func httpClient(caPEM []byte) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if len(caPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("KAFKA_OAUTH_CA_FILE: no PEM certificates found")
		}
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("the token endpoint redirected; redirects are not followed")
		},
	}, nil
}

// NewTokenSource returns the cached token source cfg describes: the managed identity when
// cfg.ManagedIdentity, else the client-credentials grant at cfg.TokenURL. timeout bounds each
// fetch.
func NewTokenSource(cfg OAuth, timeout time.Duration) (*Tokens, error) {
	hc, err := httpClient(cfg.CAPEM)
	if err != nil {
		return nil, err
	}
	if cfg.ManagedIdentity {
		return NewTokens(managedIdentity(hc, cfg), timeout), nil
	}
	return NewTokens(clientCredentials(hc, cfg), timeout), nil
}

func clientCredentials(hc *http.Client, cfg OAuth) Fetcher {
	cc := &clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     cfg.TokenURL,
		Scopes:       cfg.Scopes,
		// client_secret_post: accepted by Entra ID, Keycloak, Okta, Auth0 and Cognito alike,
		// where auto-detection would send a failing request first.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	return func(ctx context.Context) (Token, error) {
		t, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
		if err != nil {
			var re *oauth2.RetrieveError
			if errors.As(err, &re) {
				code := re.ErrorCode
				if code == "" && re.Response != nil {
					code = re.Response.Status
				}
				return Token{}, fmt.Errorf("KAFKA_OAUTH_TOKEN_URL refused the client credentials of KAFKA_OAUTH_CLIENT_ID %q: %s %s", cfg.ClientID, code, re.ErrorDescription)
			}
			return Token{}, fmt.Errorf("KAFKA_OAUTH_TOKEN_URL: %w", err)
		}
		return Token{Value: t.AccessToken, Expiry: t.Expiry}, nil
	}
}

// flexInt decodes a JSON number or a string holding one (the managed-identity endpoint sends
// expires_on as a string).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not a number: %q", s)
	}
	*f = flexInt(n)
	return nil
}

// managedIdentity asks the Azure Functions (App Service) identity endpoint for a token:
// GET $IDENTITY_ENDPOINT?resource=R&api-version=2019-08-01 with X-IDENTITY-HEADER.
func managedIdentity(hc *http.Client, cfg OAuth) Fetcher {
	q := url.Values{"resource": {cfg.Resource()}, "api-version": {"2019-08-01"}}
	if cfg.ClientID != "" {
		q.Set("client_id", cfg.ClientID) // a user-assigned identity
	}
	endpoint := cfg.IdentityEndpoint
	if strings.Contains(endpoint, "?") {
		endpoint += "&" + q.Encode()
	} else {
		endpoint += "?" + q.Encode()
	}
	return func(ctx context.Context) (Token, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if err != nil {
			return Token{}, fmt.Errorf("IDENTITY_ENDPOINT: %w", err)
		}
		req.Header.Set("X-IDENTITY-HEADER", cfg.Getenv("IDENTITY_HEADER"))
		req.Header.Set("Metadata", "true")
		resp, err := hc.Do(req)
		if err != nil {
			return Token{}, fmt.Errorf("IDENTITY_ENDPOINT: %w", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return Token{}, fmt.Errorf("IDENTITY_ENDPOINT: reading the answer: %w", err)
		}
		return decodeIdentityAnswer(resp.StatusCode, resp.Status, body, cfg.Resource())
	}
}

// decodeIdentityAnswer reads the managed-identity endpoint's answer.
func decodeIdentityAnswer(code int, status string, body []byte, resource string) (Token, error) {
	var out struct {
		AccessToken string  `json:"access_token"`
		ExpiresOn   flexInt `json:"expires_on"`
		ExpiresIn   flexInt `json:"expires_in"`
		Error       string  `json:"error"`
		Description string  `json:"error_description"`
		Message     string  `json:"message"`
	}
	jerr := json.Unmarshal(body, &out)
	if code != http.StatusOK {
		detail := strings.TrimSpace(out.Error + " " + out.Description + " " + out.Message)
		return Token{}, fmt.Errorf("IDENTITY_ENDPOINT answered %s for resource %q: %.200s", status, resource, detail)
	}
	if jerr != nil {
		return Token{}, fmt.Errorf("IDENTITY_ENDPOINT: the answer is not a token: %w", jerr)
	}
	tok := Token{Value: out.AccessToken}
	switch {
	case out.ExpiresOn > 0:
		tok.Expiry = time.Unix(int64(out.ExpiresOn), 0)
	case out.ExpiresIn > 0 && out.ExpiresIn < 1<<31:
		tok.Expiry = time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	}
	return tok, nil
}
