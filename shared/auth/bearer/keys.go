package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// Key-set fetching limits.
const (
	keysHTTPTimeout   = 5 * time.Second // one JWKS fetch (both URLs)
	keysMaxAge        = 12 * time.Hour  // Microsoft: check for new keys at least daily
	keysFailBackoff   = 5 * time.Second // no new fetch this soon after a failed one
	unknownKIDEvery   = 5 * time.Minute // at most one refetch for unknown kids per period
	maxKeySetBytes    = 1 << 20         // a JWKS is a few KiB
	keysCacheKeyFetch = "jwks"
)

// errKeysUnavailable marks a failure to obtain the tenant's key set.
var errKeysUnavailable = errors.New("bearer: keys: the tenant's signing keys could not be fetched")

// keyStore is the jwkset.Storage behind keyfunc. It replaces jwkset's HTTP storage, whose
// constructor blocks on a first fetch (up to its HTTP timeout) and starts a refresh
// goroutine per URL: kafkafn must build cheaply and must not keep goroutines in frozen
// function instances.
//
// Design note: keys are fetched lazily, on the first KeyRead, under the request's context
// (bounded by keysHTTPTimeout); concurrent fetches collapse into one (singleflight). A set
// older than keysMaxAge is refreshed in the background on the next read while the old keys
// keep serving; if that refresh fails they stay in use. An unknown kid causes a refetch at most once per unknownKIDEvery (rotation is
// picked up at once, a flood of bogus kids costs nothing). Reading the embedded memory
// storage is what keyfunc does for everything else.
type keyStore struct {
	*jwkset.MemoryJWKSet
	urls       []string
	client     *http.Client
	log        *slog.Logger
	unknownKID *rate.Limiter
	now        func() time.Time
	group      singleflight.Group
	// discovery, when set, is an OpenID Provider's metadata URL: the key-set URL is read
	// from its jwks_uri (on each fetch, so a moved key set is followed) and its issuer must
	// equal issuer exactly (OpenID Connect Discovery 1.0 §4.3).
	discovery, issuer string
	// ec accepts EC P-256 keys beside RSA keys (OIDC issuers; Entra signs with RSA only).
	ec bool

	mu        sync.Mutex
	fetchedAt time.Time // last successful fetch
	failedAt  time.Time // last failed fetch
	lastErr   error
}

func newKeyStore(urls []string, client *http.Client, log *slog.Logger) *keyStore {
	return &keyStore{
		MemoryJWKSet: jwkset.NewMemoryStorage(),
		urls:         urls,
		client:       client,
		log:          log,
		unknownKID:   rate.NewLimiter(rate.Every(unknownKIDEvery), 1),
		now:          time.Now,
	}
}

// KeyRead returns the key with the given kid, fetching the key set when it is missing, stale
// or (rate limited) lacks the kid.
func (s *keyStore) KeyRead(ctx context.Context, kid string) (jwkset.JWK, error) {
	s.mu.Lock()
	fetchedAt, failedAt, lastErr := s.fetchedAt, s.failedAt, s.lastErr
	s.mu.Unlock()
	now := s.now()
	backoff := !failedAt.IsZero() && now.Sub(failedAt) < keysFailBackoff && failedAt.After(fetchedAt)
	switch {
	case fetchedAt.IsZero() && backoff:
		return jwkset.JWK{}, fmt.Errorf("%w (last attempt %s ago): %w", errKeysUnavailable, now.Sub(failedAt).Round(time.Millisecond), lastErr)
	case fetchedAt.IsZero():
		if err := s.refresh(ctx); err != nil {
			return jwkset.JWK{}, err
		}
	case now.Sub(fetchedAt) > keysMaxAge && !backoff:
		// Stale but usable: refresh in the background and answer with the keys we have, so
		// no request waits on a periodic refresh (or on an identity provider that hangs).
		s.startRefresh(ctx)
	}
	jwk, err := s.MemoryJWKSet.KeyRead(ctx, kid)
	if err == nil || !errors.Is(err, jwkset.ErrKeyNotFound) {
		return jwk, err
	}
	if !s.unknownKID.Allow() {
		return jwkset.JWK{}, fmt.Errorf("bearer: keys: kid %.64q: %w (refetch rate limited)", kid, jwkset.ErrKeyNotFound)
	}
	s.log.DebugContext(ctx, "bearer: unknown kid, refetching the key sets", "kid", kid)
	if err := s.refresh(ctx); err != nil {
		return jwkset.JWK{}, err
	}
	return s.MemoryJWKSet.KeyRead(ctx, kid)
}

// refresh fetches the key sets once for all concurrent callers; each caller waits at most
// until its own context ends.
func (s *keyStore) refresh(ctx context.Context) error {
	select {
	case res := <-s.startRefresh(ctx):
		return res.Err
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", errKeysUnavailable, ctx.Err())
	}
}

// startRefresh starts a fetch, or joins the one in flight. The fetch is detached from ctx's
// cancellation and bounded by keysHTTPTimeout; the returned channel is buffered, so nobody
// has to read it.
func (s *keyStore) startRefresh(ctx context.Context) <-chan singleflight.Result {
	return s.group.DoChan(keysCacheKeyFetch, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keysHTTPTimeout)
		defer cancel()
		err := s.fetch(fctx)
		s.mu.Lock()
		if err != nil {
			s.failedAt, s.lastErr = s.now(), err
		} else {
			s.fetchedAt, s.lastErr = s.now(), nil
		}
		s.mu.Unlock()
		if err != nil {
			s.log.WarnContext(ctx, "bearer: fetching the tenant's key sets failed", "err", err.Error())
		}
		return nil, err
	})
}

// fetch reads every key-set URL and replaces the stored keys with their union (first kid
// wins). It succeeds when at least one URL answered with a usable set.
func (s *keyStore) fetch(ctx context.Context) error {
	urls := s.urls
	if s.discovery != "" {
		u, err := s.discover(ctx)
		if err != nil {
			return fmt.Errorf("%w: %w", errKeysUnavailable, err)
		}
		urls = []string{u}
	}
	var (
		keys []jwkset.JWK
		seen = map[string]bool{}
		errs []error
		ok   bool
	)
	for _, u := range urls {
		set, err := s.fetchOne(ctx, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ok = true
		for _, k := range set {
			if kid := k.Marshal().KID; !seen[kid] {
				seen[kid] = true
				keys = append(keys, k)
			}
		}
	}
	if !ok {
		return fmt.Errorf("%w: %w", errKeysUnavailable, errors.Join(errs...))
	}
	return s.MemoryJWKSet.KeyReplaceAll(ctx, keys)
}

func (s *keyStore) fetchOne(ctx context.Context, u string) ([]jwkset.JWK, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("get %s: status %d", u, resp.StatusCode)
	}
	var set jwkset.JWKSMarshal
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxKeySetBytes)).Decode(&set); err != nil {
		return nil, fmt.Errorf("get %s: decode key set: %w", u, err)
	}
	var out []jwkset.JWK
	for _, m := range set.Keys {
		if m.KID == "" || !(m.KTY == jwkset.KtyRSA || s.ec && m.KTY == jwkset.KtyEC && m.CRV == jwkset.CrvP256) {
			continue // RSA keys (RS256, PS256) and, for OIDC issuers, P-256 keys (ES256)
		}
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			s.log.DebugContext(ctx, "bearer: skipping an unusable key", "url", u, "kid", m.KID, "err", err.Error())
			continue
		}
		out = append(out, jwk)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get %s: no usable RSA or P-256 keys", u)
	}
	return out, nil
}

// discover reads the provider metadata and returns its jwks_uri.
func (s *keyStore) discover(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.discovery, nil)
	if err != nil {
		return "", fmt.Errorf("get %s: %w", s.discovery, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("get %s: %w", s.discovery, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return "", fmt.Errorf("get %s: status %d", s.discovery, resp.StatusCode)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxKeySetBytes)).Decode(&meta); err != nil {
		return "", fmt.Errorf("get %s: decode metadata: %w", s.discovery, err)
	}
	if meta.Issuer != s.issuer {
		return "", fmt.Errorf("get %s: the metadata's issuer %.200q is not %q", s.discovery, meta.Issuer, s.issuer)
	}
	if u, err := url.Parse(meta.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("get %s: jwks_uri %.200q is not an https URL", s.discovery, meta.JWKSURI)
	}
	return meta.JWKSURI, nil
}
