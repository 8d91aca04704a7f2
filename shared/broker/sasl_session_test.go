package broker_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// TestSCRAMReauthLifetime uses kfake's own SASL and its KIP-368 session lifetime
// (connections.max.reauth.ms): the lifetime the broker states in SaslAuthenticate v1 is
// read, and connections are retired before it ends.
//
// The session is long enough that the guard (half of it here: KAFKA_REQUEST_TIMEOUT plus 2 s
// is longer) covers a request that starts just before its connection's retirement and is
// written late on a loaded machine; with 2 s sessions a 1 s stall counted as a violation.
func TestSCRAMReauthLifetime(t *testing.T) {
	const lifetime = 5 * time.Second
	c := brokertest.NewCluster(t, kfake.SeedTopics(2, "events"), kfake.EnableSASL(),
		kfake.Superuser(broker.SASLScramSHA512, "bob", "s3cret"),
		kfake.BrokerConfigs(map[string]string{"connections.max.reauth.ms": strconv.Itoa(int(lifetime.Milliseconds()))}))
	enf := &sessionEnforcer{lifetime: lifetime}
	cfg := c.Config
	cfg.RequestTimeout = 4 * time.Second
	cfg.SASLMechanism, cfg.SASLUsername, cfg.SASLPassword = broker.SASLScramSHA512, "bob", "s3cret"
	enf.runWarm(t, cfg, 3*lifetime, func() {})
	if v := enf.violations.Load(); v != 0 {
		t.Errorf("%d requests were written after the broker's session lifetime", v)
	}
	if d := enf.dials.Load(); d < 4 {
		t.Errorf("%d dials in three session lifetimes: connections were not retired", d)
	}
}

// TestSASLBrokerSilent: a broker that never answers the SASL exchange fails the request
// within KAFKA_DIAL_TIMEOUT instead of hanging.
func TestSASLBrokerSilent(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "events"))
	c.ControlKey(int16(kmsg.SASLHandshake), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		return r.(*kmsg.SASLHandshakeRequest).ResponseKind(), nil, true
	})
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		return nil, nil, true // never answer
	})
	cfg := iamConfig(c, newVars("AWS_ACCESS_KEY_ID", "ASIAGOOD", "AWS_SECRET_ACCESS_KEY", "good-secret", "AWS_SESSION_TOKEN", "t"))
	cfg.DialTimeout, cfg.RequestTimeout = time.Second, 8*time.Second
	bc, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	start := time.Now()
	_, err = bc.Produce(ctx(t), "events", []broker.Record{{Partition: 0, Value: []byte("x")}})
	if err == nil {
		t.Fatal("produced without authenticating")
	}
	if k := apierr.KindOf(err); !k.Retryable() {
		t.Errorf("kind %v (%v), want a retryable failure", k, err)
	}
	if d := time.Since(start); d > 3*cfg.DialTimeout {
		t.Errorf("failing took %v with KAFKA_DIAL_TIMEOUT %v", d, cfg.DialTimeout)
	}
}
