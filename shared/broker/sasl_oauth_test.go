package broker_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/broker/saslcred"
)

const (
	ehScope    = "https://ns.servicebus.windows.net/.default"
	ehAudience = "https://ns.servicebus.windows.net"
)

// issuer is a local OAuth 2.0 token endpoint over TLS (client credentials grant) and an
// Azure managed-identity endpoint over loopback http, both issuing RS256 JWTs.
type issuer struct {
	key      *rsa.PrivateKey
	tls      *httptest.Server
	msi      *httptest.Server
	lifetime time.Duration
	hang     atomic.Bool
	fetches  atomic.Int64
	header   atomic.Value // the X-IDENTITY-HEADER the managed-identity endpoint accepts
	mu       sync.Mutex
	msiSeen  []string // managed-identity request queries
}

func newIssuer(t *testing.T, lifetime time.Duration) *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key, lifetime: lifetime}
	is.header.Store("msi-header-1")
	is.tls = httptest.NewTLSServer(http.HandlerFunc(is.token))
	t.Cleanup(is.tls.Close)
	is.msi = httptest.NewServer(http.HandlerFunc(is.identity))
	t.Cleanup(is.msi.Close)
	return is
}

func (is *issuer) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.tls.Certificate().Raw})
}

func (is *issuer) mint(sub, aud string) (string, time.Time) {
	exp := time.Now().Add(is.lifetime)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": is.tls.URL, "sub": sub, "aud": aud, "iat": time.Now().Unix(), "exp": exp.Unix(),
	}).SignedString(is.key)
	if err != nil {
		panic(err)
	}
	return tok, exp
}

func (is *issuer) token(w http.ResponseWriter, r *http.Request) {
	if is.hang.Load() {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/oauth2/v2.0/token" || r.ParseForm() != nil ||
		r.PostForm.Get("grant_type") != "client_credentials" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_request"}`))
		return
	}
	if r.PostForm.Get("client_id") != "kafkafn-app" || r.PostForm.Get("client_secret") != "app-s3cret" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`))
		return
	}
	is.fetches.Add(1)
	tok, _ := is.mint("kafkafn-app", strings.TrimSuffix(r.PostForm.Get("scope"), "/.default"))
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(is.lifetime.Seconds())})
}

func (is *issuer) identity(w http.ResponseWriter, r *http.Request) {
	is.mu.Lock()
	is.msiSeen = append(is.msiSeen, r.URL.RawQuery)
	is.mu.Unlock()
	q := r.URL.Query()
	if r.Header.Get("X-IDENTITY-HEADER") != is.header.Load().(string) || q.Get("api-version") != "2019-08-01" || q.Get("resource") == "" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"statusCode":400,"message":"Unable to load the proper Managed Identity."}`))
		return
	}
	is.fetches.Add(1)
	tok, exp := is.mint("function-app-identity", q.Get("resource"))
	// expires_on as a JSON string, as the App Service endpoint sends it.
	_ = json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "expires_on": strconv.FormatInt(exp.Unix(), 10),
		"resource": q.Get("resource"), "token_type": "Bearer", "client_id": "mi-client"})
}

// verifyBearer checks an OAUTHBEARER client-first message as Kafka's OAuthBearerSaslServer
// does, and the JWT in it against the issuer's key: signature, issuer, audience, expiry.
func verifyBearer(is *issuer, aud string, ext map[string]string) func([]byte) (time.Duration, error) {
	return func(b []byte) (time.Duration, error) {
		msg := string(b)
		if !strings.HasPrefix(msg, "n,,\x01") || !strings.HasSuffix(msg, "\x01\x01") {
			return 0, fmt.Errorf("not a GS2 OAUTHBEARER message: %q", msg)
		}
		kvs := map[string]string{}
		for _, kv := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(msg, "n,,\x01"), "\x01\x01"), "\x01") {
			k, v, _ := strings.Cut(kv, "=")
			kvs[k] = v
		}
		tok, ok := strings.CutPrefix(kvs["auth"], "Bearer ")
		if !ok {
			return 0, fmt.Errorf("no auth=Bearer")
		}
		delete(kvs, "auth")
		if fmt.Sprint(kvs) != fmt.Sprint(ext) && !(len(kvs) == 0 && len(ext) == 0) {
			return 0, fmt.Errorf("extensions %v, want %v", kvs, ext)
		}
		_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return &is.key.PublicKey, nil },
			jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(is.tls.URL), jwt.WithAudience(aud), jwt.WithExpirationRequired())
		if err != nil {
			return 0, err
		}
		return 0, nil
	}
}

func oauthConfig(c *brokertest.Cluster, is *issuer) broker.Config {
	cfg := c.Config
	cfg.DialTimeout = 2 * time.Second
	cfg.RequestTimeout = 4 * time.Second
	cfg.SASLMechanism = broker.SASLOAuthBearer
	cfg.OAuth = saslcred.OAuth{TokenURL: is.tls.URL + "/oauth2/v2.0/token", ClientID: "kafkafn-app", ClientSecret: "app-s3cret",
		Scopes: []string{ehScope}, CAPEM: is.caPEM()}
	return cfg
}

func TestOAuthBearer(t *testing.T) {
	ca := brokertest.NewCA(t, "kafkafn test CA")
	is := newIssuer(t, time.Hour)
	c := secureCluster(t, ca)
	ext := map[string]string{"logicalCluster": "lkc-abc123", "identityPoolId": "pool-Xyz"}
	sb := &saslBroker{mech: "OAUTHBEARER", verify: verifyBearer(is, ehAudience, ext)}
	sb.install(c.Cluster)
	tests := []struct {
		name     string
		mutate   func(*broker.Config)
		before   func()
		wantCode string
		wantErr  string // in the error text
	}{
		{"a client-credentials token for the namespace is accepted", nil, nil, "", ""},
		{"the managed identity's token is accepted", func(k *broker.Config) {
			k.OAuth = saslcred.OAuth{ManagedIdentity: true, Scopes: []string{ehScope}, IdentityEndpoint: is.msi.URL + "/msi/token",
				Getenv: newVars("IDENTITY_HEADER", "msi-header-1").get}
		}, nil, "", ""},
		{"a wrong client secret names the token endpoint, not the secret", func(k *broker.Config) { k.OAuth.ClientSecret = "wrong-s3cret" }, nil,
			"kafka_credentials_unavailable", "invalid_client"},
		{"a token for another audience is refused by the broker", func(k *broker.Config) {
			k.OAuth.Scopes = []string{"https://other.servicebus.windows.net/.default"}
		}, nil, "kafka_auth_failed", "status invalid_token"},
		{"a stale identity header names IDENTITY_ENDPOINT", func(k *broker.Config) {
			k.OAuth = saslcred.OAuth{ManagedIdentity: true, Scopes: []string{ehScope}, IdentityEndpoint: is.msi.URL + "/msi/token",
				Getenv: newVars("IDENTITY_HEADER", "msi-header-0").get}
		}, nil, "kafka_credentials_unavailable", "IDENTITY_ENDPOINT"},
		{"a token endpoint that never answers fails within the dial timeout", nil, func() { is.hang.Store(true) },
			"kafka_credentials_unavailable", "KAFKA_OAUTH_TOKEN_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer is.hang.Store(false)
			cfg := oauthConfig(c, is)
			cfg.TLS, cfg.TLSCAPEM, cfg.TLSSkipHostnameCheck = true, ca.CertPEM, true
			cfg.OAuth.Extensions = ext
			if tt.mutate != nil {
				ext := cfg.OAuth.Extensions
				tt.mutate(&cfg)
				cfg.OAuth.Extensions = ext
			}
			if tt.before != nil {
				tt.before()
			}
			bc, err := broker.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer bc.Close()
			fetches := is.fetches.Load()
			start := time.Now()
			_, err = bc.Produce(ctx(t), "secure", []broker.Record{{Partition: 0, Value: []byte("oauth")}})
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := bc.Topics(ctx(t)); err != nil {
					t.Fatal(err)
				}
				if n := is.fetches.Load() - fetches; n != 1 {
					t.Errorf("%d token fetches for two connections; want one cached token", n)
				}
				return
			}
			if err == nil {
				t.Fatal("connected; want a failure")
			}
			if apierr.CodeOf(err) != tt.wantCode || apierr.KindOf(err) != apierr.Unavailable || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("code %q kind %v err %v; want %s with %q", apierr.CodeOf(err), apierr.KindOf(err), err, tt.wantCode, tt.wantErr)
			}
			if !strings.Contains(apierr.MessageOf(err), "OAUTHBEARER") {
				t.Errorf("the public message does not name the mechanism: %q", apierr.MessageOf(err))
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "msi-header") {
				t.Errorf("the error shows a secret: %v", err)
			}
			if d := time.Since(start); d > cfg.RequestTimeout {
				t.Errorf("failing took %v", d)
			}
		})
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	if len(is.msiSeen) == 0 || !strings.Contains(is.msiSeen[0], "resource=https%3A%2F%2Fns.servicebus.windows.net&") && !strings.HasSuffix(is.msiSeen[0], "resource=https%3A%2F%2Fns.servicebus.windows.net") {
		t.Errorf("managed-identity queries %q: want resource = the scope without /.default", is.msiSeen)
	}
}

// TestOAuthBearerSessionExpiry runs a warm client across several token lifetimes of a
// broker that ends each session when its token expires (and states no session lifetime):
// every request succeeds, none is written on an expired session, and the token is renewed
// by one fetch at a time.
func TestOAuthBearerSessionExpiry(t *testing.T) {
	const lifetime = 4 * time.Second
	is := newIssuer(t, lifetime)
	c := brokertest.NewCluster(t, kfake.SeedTopics(2, "events"))
	sb := &saslBroker{mech: "OAUTHBEARER", verify: verifyBearer(is, ehAudience, nil)}
	sb.install(c.Cluster)
	enf := &sessionEnforcer{sessionEnd: bearerExpiry}
	enf.runWarm(t, oauthConfig(c, is), 3*lifetime, func() {})
	if v := enf.violations.Load(); v != 0 {
		t.Errorf("%d requests were written on an expired session", v)
	}
	// Renewed once half the lifetime has passed: about 2 fetches per lifetime, never one
	// per connection.
	if n := is.fetches.Load(); n < 3 || n > 8 {
		t.Errorf("%d token fetches in %v of %v tokens", n, 3*lifetime, lifetime)
	}
	if d, cl := enf.dials.Load(), enf.closed.Load(); d < 4 || cl < d-6 { // at most the current transport's control and broker connections and the metadata connection stay open
		t.Errorf("dials %d, closed %d: connections were not retired", d, cl)
	}
	if _, refused := sb.counts(); refused != 0 {
		t.Errorf("%d exchanges refused", refused)
	}
}
