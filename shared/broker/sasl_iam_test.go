package broker_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/broker/saslcred"
)

// vars is an environment that a test can change while the client runs.
type vars struct {
	mu sync.Mutex
	m  map[string]string
}

func newVars(kv ...string) *vars {
	v := &vars{m: map[string]string{}}
	v.set(kv...)
	return v
}

func (v *vars) get(k string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[k]
}

func (v *vars) set(kv ...string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := 0; i+1 < len(kv); i += 2 {
		v.m[kv[i]] = kv[i+1]
	}
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// awsKeys is what the test "IAM" knows: access key id → secret and session token.
type awsKeys struct {
	mu   sync.Mutex
	keys map[string][2]string
}

func (k *awsKeys) add(id, secret, token string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string][2]string{}
	}
	k.keys[id] = [2]string{secret, token}
}

func (k *awsKeys) lookup(id string) (secret, token string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.keys[id]
	return v[0], v[1], ok
}

// verifyMSKIAM checks an AWS_MSK_IAM payload the way MSK does: the fields, the action,
// region and expiry, and the SigV4 signature recomputed with the AWS SDK's signer.
func verifyMSKIAM(region string, keys *awsKeys, lifetime time.Duration) func([]byte) (time.Duration, error) {
	return func(b []byte) (time.Duration, error) {
		var p map[string]string
		if err := json.Unmarshal(b, &p); err != nil {
			return 0, fmt.Errorf("payload is not a JSON object of strings: %v", err)
		}
		want := map[string]string{"version": "2020_10_22", "host": "127.0.0.1", "action": "kafka-cluster:Connect",
			"x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-signedheaders": "host"}
		for k, v := range want {
			if p[k] != v {
				return 0, fmt.Errorf("%s = %q, want %q", k, p[k], v)
			}
		}
		if p["user-agent"] == "" {
			return 0, fmt.Errorf("no user-agent")
		}
		date, err := time.Parse("20060102T150405Z", p["x-amz-date"])
		if err != nil || time.Since(date).Abs() > time.Minute {
			return 0, fmt.Errorf("x-amz-date %q is not now", p["x-amz-date"])
		}
		exp, err := strconv.Atoi(p["x-amz-expires"])
		if err != nil || exp <= 0 || exp > 900 || time.Now().After(date.Add(time.Duration(exp)*time.Second)) {
			return 0, fmt.Errorf("x-amz-expires %q: expired or out of range", p["x-amz-expires"])
		}
		cred := strings.Split(p["x-amz-credential"], "/")
		if len(cred) != 5 || cred[1] != date.Format("20060102") || cred[2] != region || cred[3] != "kafka-cluster" || cred[4] != "aws4_request" {
			return 0, fmt.Errorf("x-amz-credential %q: wrong scope (want region %s)", p["x-amz-credential"], region)
		}
		secret, token, ok := keys.lookup(cred[0])
		if !ok {
			return 0, fmt.Errorf("unknown access key %s", cred[0])
		}
		if p["x-amz-security-token"] != token {
			return 0, fmt.Errorf("wrong session token")
		}
		u := url.URL{Scheme: "kafka", Host: p["host"], Path: "/", RawQuery: url.Values{"Action": {"kafka-cluster:Connect"}, "X-Amz-Expires": {p["x-amz-expires"]}}.Encode()}
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return 0, err
		}
		signed, _, err := signer.NewSigner().PresignHTTP(context.Background(),
			aws.Credentials{AccessKeyID: cred[0], SecretAccessKey: secret, SessionToken: token},
			req, emptySHA256, "kafka-cluster", region, date)
		if err != nil {
			return 0, err
		}
		su, err := url.Parse(signed)
		if err != nil {
			return 0, err
		}
		if !hmac.Equal([]byte(su.Query().Get("X-Amz-Signature")), []byte(p["x-amz-signature"])) {
			return 0, fmt.Errorf("signature mismatch")
		}
		return lifetime, nil
	}
}

func iamConfig(c *brokertest.Cluster, env *vars) broker.Config {
	cfg := c.Config
	cfg.DialTimeout = 2 * time.Second
	cfg.RequestTimeout = 4 * time.Second
	cfg.SASLMechanism = broker.SASLAWSMSKIAM
	cfg.AWS = saslcred.AWSCredentials{Region: "eu-west-1", Getenv: env.get}
	return cfg
}

func TestMSKIAM(t *testing.T) {
	ca := brokertest.NewCA(t, "kafkafn test CA")
	keys := &awsKeys{}
	keys.add("ASIAGOOD", "good-secret", "session-token-1")
	sb := &saslBroker{mech: "AWS_MSK_IAM", verify: verifyMSKIAM("eu-west-1", keys, 0)}
	c := secureCluster(t, ca)
	sb.install(c.Cluster)
	tests := []struct {
		name     string
		env      []string
		region   string
		wantCode string
	}{
		{"the function's credentials sign a valid kafka-cluster:Connect request", []string{"AWS_ACCESS_KEY_ID", "ASIAGOOD", "AWS_SECRET_ACCESS_KEY", "good-secret", "AWS_SESSION_TOKEN", "session-token-1"}, "eu-west-1", ""},
		{"a wrong secret is refused with an error naming the mechanism", []string{"AWS_ACCESS_KEY_ID", "ASIAGOOD", "AWS_SECRET_ACCESS_KEY", "wrong", "AWS_SESSION_TOKEN", "session-token-1"}, "eu-west-1", "kafka_auth_failed"},
		{"a wrong region is refused", []string{"AWS_ACCESS_KEY_ID", "ASIAGOOD", "AWS_SECRET_ACCESS_KEY", "good-secret", "AWS_SESSION_TOKEN", "session-token-1"}, "us-east-1", "kafka_auth_failed"},
		{"an unknown key is refused", []string{"AWS_ACCESS_KEY_ID", "ASIAOTHER", "AWS_SECRET_ACCESS_KEY", "good-secret", "AWS_SESSION_TOKEN", "session-token-1"}, "eu-west-1", "kafka_auth_failed"},
		{"credentials gone from the environment fail the connection", []string{"AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", ""}, "eu-west-1", "kafka_credentials_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := iamConfig(c, newVars(tt.env...))
			cfg.AWS.Region = tt.region
			cfg.TLS, cfg.TLSCAPEM, cfg.TLSSkipHostnameCheck = true, ca.CertPEM, true
			bc, err := broker.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer bc.Close()
			start := time.Now()
			_, err = bc.Produce(ctx(t), "secure", []broker.Record{{Partition: 0, Value: []byte("iam")}})
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				if topics, err := bc.Topics(ctx(t)); err != nil || len(topics) != 1 {
					t.Fatalf("topics over the metadata connection: %v %v", topics, err)
				}
				return
			}
			if err == nil {
				t.Fatal("connected; want a refusal")
			}
			if got := apierr.CodeOf(err); got != tt.wantCode || apierr.KindOf(err) != apierr.Unavailable {
				t.Errorf("code %q kind %v, want %s (%v)", got, apierr.KindOf(err), tt.wantCode, err)
			}
			if !strings.Contains(apierr.MessageOf(err), "AWS_MSK_IAM") || !strings.Contains(err.Error(), "AWS_MSK_IAM") {
				t.Errorf("the error does not name the mechanism: %q / %v", apierr.MessageOf(err), err)
			}
			if strings.Contains(err.Error(), "good-secret") || strings.Contains(err.Error(), "wrong") && tt.env[3] == "wrong" {
				t.Errorf("the error shows the secret: %v", err)
			}
			if d := time.Since(start); d > cfg.RequestTimeout {
				t.Errorf("failing took %v", d)
			}
		})
	}
}

// TestMSKIAMSessionExpiry runs a warm client across several session lifetimes of a broker
// that closes a connection whose session has ended: every request succeeds, no request is
// written on an expired session, and new connections sign with rotated credentials.
func TestMSKIAMSessionExpiry(t *testing.T) {
	const lifetime = 3 * time.Second
	keys := &awsKeys{}
	keys.add("ASIAFIRST", "first-secret", "token-1")
	keys.add("ASIASECOND", "second-secret", "token-2")
	sb := &saslBroker{mech: "AWS_MSK_IAM", verify: verifyMSKIAM("eu-west-1", keys, lifetime)}
	c := brokertest.NewCluster(t, kfake.SeedTopics(2, "events"))
	sb.install(c.Cluster)
	enf := &sessionEnforcer{lifetime: lifetime}
	env := newVars("AWS_ACCESS_KEY_ID", "ASIAFIRST", "AWS_SECRET_ACCESS_KEY", "first-secret", "AWS_SESSION_TOKEN", "token-1")
	enf.runWarm(t, iamConfig(c, env), 3*lifetime, func() {
		env.set("AWS_ACCESS_KEY_ID", "ASIASECOND", "AWS_SECRET_ACCESS_KEY", "second-secret", "AWS_SESSION_TOKEN", "token-2")
	})
	if v := enf.violations.Load(); v != 0 {
		t.Errorf("%d requests were written on an expired session", v)
	}
	if d, cl := enf.dials.Load(), enf.closed.Load(); d < 4 || cl < d-6 { // at most the current transport's control and broker connections and the metadata connection stay open
		t.Errorf("dials %d, closed %d: connections were not retired", d, cl)
	}
	var p map[string]string
	if err := json.Unmarshal(sb.last(), &p); err != nil || !strings.HasPrefix(p["x-amz-credential"], "ASIASECOND/") {
		t.Errorf("the last connection signed with %q, want the rotated key", p["x-amz-credential"])
	}
	if _, refused := sb.counts(); refused != 0 {
		t.Errorf("%d exchanges refused", refused)
	}
}

// runWarm sends produce and fresh-metadata requests for d on one client of cfg that dials
// through e (closed when the test ends, so its connections are open for the test's checks);
// halfway it calls midway. Every request must succeed.
func (e *sessionEnforcer) runWarm(t *testing.T, cfg broker.Config, d time.Duration, midway func()) {
	t.Helper()
	bc, err := broker.New(cfg, broker.WithDialer(e.Dial))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bc.Close)
	var wg sync.WaitGroup
	var failures atomic.Int64
	deadline := time.Now().Add(d)
	half := time.Now().Add(d / 2)
	var once sync.Once
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				if time.Now().After(half) {
					once.Do(midway)
				}
				var err error
				if i%3 == 2 {
					_, err = bc.Topics(ctx(t))
				} else {
					_, err = bc.Produce(ctx(t), "events", []broker.Record{{Partition: i % 2, Value: []byte("warm")}})
				}
				if err != nil {
					failures.Add(1)
					t.Errorf("request %d at %s: %v", i, time.Now().Format("15:04:05.000"), err)
				}
				time.Sleep(40 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if f := failures.Load(); f != 0 {
		t.Fatalf("%d requests failed", f)
	}
}

// TestMSKIAMContainerCredentials takes credentials from the container credentials endpoint
// (AWS_CONTAINER_CREDENTIALS_FULL_URI with its authorization token), as Lambda SnapStart
// provides them: they expire, so connections are retired before the credentials they
// signed with expire, and later connections use the endpoint's next credentials.
func TestMSKIAMContainerCredentials(t *testing.T) {
	const credLifetime = 4 * time.Second
	keys := &awsKeys{}
	var (
		mu      sync.Mutex
		expires = map[string]time.Time{} // session token → expiry
		served  atomic.Int64
	)
	ep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "container-auth" || r.URL.Path != "/2018-06-01/credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":"InvalidToken","message":"bad authorization"}`))
			return
		}
		n := served.Add(1)
		id, secret, token := fmt.Sprintf("ASIACONT%d", n), fmt.Sprintf("secret-%d", n), fmt.Sprintf("ctoken-%d", n)
		exp := time.Now().Add(credLifetime).Truncate(time.Second)
		keys.add(id, secret, token)
		mu.Lock()
		expires[token] = exp
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": id, "SecretAccessKey": secret, "Token": token, "Expiration": exp.UTC().Format(time.RFC3339)})
	}))
	defer ep.Close()

	sb := &saslBroker{mech: "AWS_MSK_IAM", verify: verifyMSKIAM("eu-west-1", keys, 0)} // no KIP-368 lifetime: the credentials bound the session
	c := brokertest.NewCluster(t, kfake.SeedTopics(2, "events"))
	sb.install(c.Cluster)
	enf := &sessionEnforcer{sessionEnd: func(b []byte) time.Time {
		i := strings.Index(string(b), `"x-amz-security-token":"`)
		if i < 0 {
			return time.Time{}
		}
		tok, _, _ := strings.Cut(string(b[i+len(`"x-amz-security-token":"`):]), `"`)
		mu.Lock()
		defer mu.Unlock()
		return expires[tok]
	}}
	env := newVars("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth")
	cfg := iamConfig(c, env)
	cfg.AWS.ContainerURI = ep.URL + "/2018-06-01/credentials"
	enf.runWarm(t, cfg, 3*credLifetime, func() {})
	if v := enf.violations.Load(); v != 0 {
		t.Errorf("%d requests were written after the credentials of their session expired", v)
	}
	if n := served.Load(); n < 3 {
		t.Errorf("the endpoint served %d credentials; want renewals", n)
	}

	t.Run("a wrong authorization token names the endpoint", func(t *testing.T) {
		cfg := iamConfig(c, newVars("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"))
		cfg.AWS.ContainerURI = ep.URL + "/2018-06-01/credentials"
		bc, err := broker.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer bc.Close()
		_, err = bc.Produce(ctx(t), "events", []broker.Record{{Partition: 0, Value: []byte("x")}})
		if apierr.CodeOf(err) != "kafka_credentials_unavailable" || !strings.Contains(err.Error(), "AWS_CONTAINER_CREDENTIALS_FULL_URI") || strings.Contains(err.Error(), "wrong") {
			t.Fatalf("err = %v", err)
		}
	})
}
