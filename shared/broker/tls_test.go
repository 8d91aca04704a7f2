package broker_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// secureCluster starts a cluster that speaks TLS with a certificate for a host name other
// than the one clients dial (127.0.0.1), like CKafka's custom certificates.
func secureCluster(t *testing.T, ca *brokertest.CA, opts ...kfake.Opt) *brokertest.Cluster {
	t.Helper()
	cert := ca.ServerCert(t, "ckafka.example.invalid")
	return brokertest.NewCluster(t, append([]kfake.Opt{
		kfake.SeedTopics(1, "secure"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
	}, opts...)...)
}

func TestTLSAndSASL(t *testing.T) {
	ca := brokertest.NewCA(t, "kafkafn test CA")
	other := brokertest.NewCA(t, "someone else's CA")
	c := secureCluster(t, ca,
		kfake.EnableSASL(),
		kfake.Superuser(broker.SASLPlain, "ckafka-abc123#alice", "s3cret"),
		kfake.Superuser(broker.SASLScramSHA256, "bob", "s3cret-256"),
		kfake.Superuser(broker.SASLScramSHA512, "carol", "s3cret-512"),
	)
	base := c.Config
	base.DialTimeout = 2 * time.Second
	base.RequestTimeout = 4 * time.Second
	tests := []struct {
		name    string
		mutate  func(*broker.Config)
		wantErr bool
	}{
		{"PLAIN over TLS with a CA and the host name check skipped connects", func(k *broker.Config) {
			k.SASLMechanism, k.SASLUsername, k.SASLPassword = broker.SASLPlain, "ckafka-abc123#alice", "s3cret"
		}, false},
		{"SCRAM-SHA-256 connects", func(k *broker.Config) {
			k.SASLMechanism, k.SASLUsername, k.SASLPassword = broker.SASLScramSHA256, "bob", "s3cret-256"
		}, false},
		{"SCRAM-SHA-512 connects", func(k *broker.Config) {
			k.SASLMechanism, k.SASLUsername, k.SASLPassword = broker.SASLScramSHA512, "carol", "s3cret-512"
		}, false},
		{"a wrong CA fails even with the host name check skipped", func(k *broker.Config) {
			k.TLSCAPEM = other.CertPEM
			k.SASLMechanism, k.SASLUsername, k.SASLPassword = broker.SASLPlain, "ckafka-abc123#alice", "s3cret"
		}, true},
		{"the host name check is on unless skipped", func(k *broker.Config) {
			k.TLSSkipHostnameCheck = false
			k.SASLMechanism, k.SASLUsername, k.SASLPassword = broker.SASLPlain, "ckafka-abc123#alice", "s3cret"
		}, true},
		{"a wrong password fails", func(k *broker.Config) {
			k.SASLMechanism, k.SASLUsername, k.SASLPassword = broker.SASLPlain, "ckafka-abc123#alice", "wrong"
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			cfg.TLS, cfg.TLSCAPEM, cfg.TLSSkipHostnameCheck = true, ca.CertPEM, true
			tt.mutate(&cfg)
			bc, err := broker.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer bc.Close()
			_, err = bc.Produce(ctx(t), "secure", []broker.Record{{Partition: 0, Value: []byte("over tls")}})
			if tt.wantErr {
				if err == nil {
					t.Fatal("connected; want a failure")
				}
				if k := apierr.KindOf(err); k != apierr.Unavailable && k != apierr.Timeout {
					t.Errorf("err = %v: kind %v, want Unavailable", err, k)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			topics, err := bc.Topics(ctx(t))
			if err != nil || len(topics) != 1 {
				t.Fatalf("topics over TLS: %v %v", topics, err)
			}
		})
	}
}

func TestTLSConfigNeedsPEM(t *testing.T) {
	_, err := broker.TLSConfig(broker.Config{TLS: true, TLSCAPEM: []byte("not a pem")})
	if err == nil {
		t.Fatal("a CA without PEM certificates must be refused")
	}
}
