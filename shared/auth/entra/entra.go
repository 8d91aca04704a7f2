// Package entra obtains OAuth2 client-credentials tokens from Microsoft Entra ID with MSAL Go,
// on behalf of callers who present their own client ID and secret. Only functions/token
// imports it, so no Kafka binary links MSAL.
//
// Design note: MSAL wants one confidential.Client per service identity, kept for the life of
// the process so its in-memory token cache works. A Source therefore keeps a bounded LRU of
// clients keyed by (tenant, client ID, salted SHA-256 of the secret): a different secret is a
// different client, and the secret itself never becomes a map key. Only
// AcquireTokenByCredential is called (since MSAL v1.6 it answers from the cache first), and
// concurrent requests for the same identity and scopes share one call (singleflight), so N
// cold requests cause one token request upstream. MSAL's errors are classified here into
// OAuth2 error codes; they are never passed on verbatim (their text contains URLs and the
// identity provider's diagnostics, and an MSAL CallErr holds the request, with the secret).
package entra

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"golang.org/x/sync/singleflight"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// OAuth2 error codes (RFC 6749 §5.2, plus the two the authorization endpoint defines for
// server trouble).
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidClient          = "invalid_client"
	CodeInvalidScope           = "invalid_scope"
	CodeUnsupportedGrantType   = "unsupported_grant_type"
	CodeServerError            = "server_error"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
)

// knownHosts are login hosts MSAL validates by itself; instance discovery stays on for them.
// Any other host (a private cloud, a test server) is used as given, with discovery off.
var knownHosts = []string{
	"https://login.microsoftonline.com",
	"https://login.microsoft.com",
	"https://login.windows.net",
	"https://login.microsoftonline.us",
	"https://login.chinacloudapi.cn",
	"https://login.partner.microsoftonline.cn",
}

// Credential is a caller's client credential.
type Credential struct {
	ClientID string
	Secret   string
}

// Token is an access token and when it expires.
type Token struct {
	AccessToken string
	ExpiresOn   time.Time
	FromCache   bool // MSAL answered from its cache, without calling Entra ID
}

// Source hands out tokens. It is safe for concurrent use; build one per process.
type Source struct {
	authority string
	discovery bool
	region    string
	client    *http.Client
	timeout   time.Duration
	salt      []byte
	group     singleflight.Group

	mu      sync.Mutex
	max     int
	order   *list.List // of *entry, most recently used first
	entries map[string]*list.Element
}

type entry struct {
	key    string
	client confidential.Client
	good   bool // has obtained a token at least once
}

// Option configures a Source.
type Option func(*Source)

// WithHTTPClient sets the HTTP client MSAL uses (default: one with cfg.HTTPTimeout). Tests
// pass the fake Entra ID's client.
func WithHTTPClient(c *http.Client) Option { return func(s *Source) { s.client = c } }

// New returns a Source for cfg. It makes no network calls.
func New(cfg Config, opts ...Option) (*Source, error) {
	if cfg.TenantID == "" {
		return nil, errors.New("entra: new: TOKEN_TENANT_ID is not set")
	}
	host := strings.TrimSuffix(cfg.AuthorityHost, "/")
	if host == "" {
		host = DefaultAuthorityHost
	}
	if !strings.HasPrefix(host, "https://") {
		return nil, errors.New("entra: new: the authority host must use https")
	}
	timeout := cfg.HTTPTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	max := cfg.MaxClients
	if max <= 0 {
		max = 500
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("entra: new: %w", err)
	}
	s := &Source{
		authority: host + "/" + cfg.TenantID,
		discovery: slices.Contains(knownHosts, host),
		region:    cfg.Region,
		timeout:   timeout,
		salt:      salt,
		max:       max,
		order:     list.New(),
		entries:   map[string]*list.Element{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: timeout}
	}
	return s, nil
}

// Authority is the MSAL authority URL: host + "/" + tenant.
func (s *Source) Authority() string { return s.authority }

// key identifies a credential without holding its secret.
func (s *Source) key(c Credential) string {
	h := sha256.New()
	h.Write(s.salt)
	h.Write([]byte(c.Secret))
	return c.ClientID + "|" + hex.EncodeToString(h.Sum(nil))
}

// Known reports whether this exact credential has obtained a token before and is still
// cached: the token route lets it through its failure throttle.
func (s *Source) Known(c Credential) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.entries[s.key(c)]
	return ok && el.Value.(*entry).good
}

// Len is the number of cached MSAL clients.
func (s *Source) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}

// Token returns an access token for cred and scopes, from MSAL's cache when it holds one.
// Errors carry an apierr kind and an OAuth2 error code (apierr.CodeOf): invalid_client
// (Unauthorized), invalid_scope or invalid_request (Invalid), temporarily_unavailable
// (Unavailable or Timeout) or server_error (BadGateway).
func (s *Source) Token(ctx context.Context, cred Credential, scopes []string) (Token, error) {
	if cred.ClientID == "" || cred.Secret == "" {
		return Token{}, apierr.E(apierr.Unauthorized, CodeInvalidClient, "client_id and client_secret are required")
	}
	if len(scopes) == 0 {
		return Token{}, apierr.E(apierr.Invalid, CodeInvalidScope, "a scope is required")
	}
	key := s.key(cred)
	sfKey := key + "|" + strings.Join(scopes, " ")
	ch := s.group.DoChan(sfKey, func() (any, error) {
		// Detached from the first caller's context, so its cancellation does not fail the
		// others; bounded by the HTTP timeout (metadata plus token request).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*s.timeout)
		defer cancel()
		return s.acquire(cctx, key, cred, scopes)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return Token{}, res.Err
		}
		return res.Val.(Token), nil
	case <-ctx.Done():
		return Token{}, apierr.Wrap(apierr.Timeout, CodeTemporarilyUnavailable,
			"the request deadline passed while waiting for the identity provider", ctx.Err())
	}
}

func (s *Source) acquire(ctx context.Context, key string, cred Credential, scopes []string) (Token, error) {
	app, err := s.clientFor(key, cred)
	if err != nil {
		return Token{}, err
	}
	res, err := app.AcquireTokenByCredential(ctx, scopes)
	if err != nil {
		cerr := classify(err)
		if apierr.CodeOf(cerr) == CodeInvalidClient {
			s.forget(key) // do not keep clients for credentials Entra refused
		}
		return Token{}, cerr
	}
	s.markGood(key)
	return Token{AccessToken: res.AccessToken, ExpiresOn: res.ExpiresOn, FromCache: res.Metadata.TokenSource == 1}, nil
}

// clientFor returns the cached MSAL client for key, creating (and possibly evicting the least
// recently used) as needed.
func (s *Source) clientFor(key string, cred Credential) (confidential.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok {
		s.order.MoveToFront(el)
		return el.Value.(*entry).client, nil
	}
	secret, err := confidential.NewCredFromSecret(cred.Secret)
	if err != nil {
		return confidential.Client{}, apierr.E(apierr.Unauthorized, CodeInvalidClient, "client_secret is required")
	}
	region := s.region
	if region == "" {
		region = "DisableMsalForceRegion" // MSAL reads MSAL_FORCE_REGION itself; a region is opt-in
	}
	app, err := confidential.New(s.authority, cred.ClientID, secret,
		confidential.WithHTTPClient(s.client),
		confidential.WithInstanceDiscovery(s.discovery),
		confidential.WithAzureRegion(region),
	)
	if err != nil {
		// The authority comes from validated config and the client ID was checked by the
		// caller, so this is our fault, not the caller's.
		return confidential.Client{}, apierr.Wrap(apierr.Internal, CodeServerError, "the token client could not be created",
			fmt.Errorf("entra: new client: %s", scrub(err.Error())))
	}
	s.entries[key] = s.order.PushFront(&entry{key: key, client: app})
	for s.order.Len() > s.max {
		last := s.order.Back()
		s.order.Remove(last)
		delete(s.entries, last.Value.(*entry).key)
	}
	return app, nil
}

func (s *Source) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok {
		s.order.Remove(el)
		delete(s.entries, key)
	}
}

func (s *Source) markGood(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok {
		el.Value.(*entry).good = true
	}
}

// upstreamError is the OAuth2 error body Entra ID answers with.
type upstreamError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

// classify turns an MSAL error into an apierr with an OAuth2 code. The cause kept for logs is
// a scrubbed summary: the status, Entra's error code and AADSTS numbers, never the request.
func classify(err error) error {
	var call msalerrors.CallErr
	if errors.As(err, &call) && call.Resp != nil {
		status := call.Resp.StatusCode
		var body upstreamError
		if call.Resp.Body != nil {
			b, _ := io.ReadAll(io.LimitReader(call.Resp.Body, 64<<10))
			_ = json.Unmarshal(b, &body)
		}
		where := ""
		if call.Req != nil && call.Req.URL != nil {
			where = " on " + call.Req.Method + " " + call.Req.URL.Path
		}
		cause := fmt.Errorf("entra: token: identity provider answered %d %q %v%s", status, body.Error, body.Codes, where)
		switch {
		case body.Error == "invalid_client" || body.Error == "unauthorized_client":
			return apierr.Wrap(apierr.Unauthorized, CodeInvalidClient, "client authentication failed", cause)
		case body.Error == "invalid_scope" || body.Error == "invalid_resource":
			return apierr.Wrap(apierr.Invalid, CodeInvalidScope, "the identity provider refused the requested scope", cause)
		case status == http.StatusTooManyRequests || status >= 500:
			return apierr.Wrap(apierr.Unavailable, CodeTemporarilyUnavailable,
				fmt.Sprintf("the identity provider is unavailable (HTTP %d); retry later", status), cause)
		default:
			return apierr.Wrap(apierr.BadGateway, CodeServerError,
				fmt.Sprintf("the identity provider rejected the token request (HTTP %d)", status), cause)
		}
	}
	var nerr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return apierr.Wrap(apierr.Unavailable, CodeTemporarilyUnavailable,
			"the identity provider did not answer in time; retry later", errors.New("entra: token: timeout"))
	case errors.As(err, &nerr), isDialError(err):
		return apierr.Wrap(apierr.Unavailable, CodeTemporarilyUnavailable,
			"the identity provider cannot be reached; retry later", fmt.Errorf("entra: token: %s", scrub(err.Error())))
	}
	// Anything else (bad metadata, unparseable reply) is the identity provider misbehaving
	// from our point of view.
	return apierr.Wrap(apierr.BadGateway, CodeServerError, "the identity provider's answer could not be used",
		fmt.Errorf("entra: token: %s", scrub(err.Error())))
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// scrub shortens an error text to one line of at most 300 bytes. MSAL's error texts hold URLs
// and the identity provider's reply, not the client secret (which travels in the request
// body, never printed); scrubbing keeps log lines bounded.
func scrub(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
