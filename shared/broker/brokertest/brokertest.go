// Package brokertest starts in-process Kafka clusters for tests: franz-go's kfake, a real
// Kafka wire-protocol broker, with helpers for TLS certificates. Like httptest, every
// cluster is closed when the test ends.
package brokertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker"
)

// Cluster is a running kfake cluster and the kafkafn configuration that reaches it.
type Cluster struct {
	*kfake.Cluster
	Config broker.Config
}

// NewCluster starts a one-broker kfake cluster (pass kfake.NumBrokers to change) and
// closes it when t ends. Config points at it with short timeouts suited to tests.
func NewCluster(t testing.TB, opts ...kfake.Opt) *Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("brokertest: start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return &Cluster{Cluster: c, Config: Config(c.ListenAddrs())}
}

// Config returns a Kafka configuration for brokers with kafkafn's defaults.
func Config(brokers []string) broker.Config {
	return broker.Config{
		Brokers:        brokers,
		ClientID:       "kafkafn-test",
		DialTimeout:    3 * time.Second,
		RequestTimeout: 10 * time.Second,
		MetadataTTL:    time.Second,
		IdleTimeout:    30 * time.Second,
	}
}

// Client returns a broker client of c's Config, closed when the test ends.
func (c *Cluster) Client(t testing.TB) *broker.Client {
	t.Helper()
	bc, err := broker.New(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bc.Close)
	return bc
}

// Env returns the environment variables that point a kafkafn binary at c (no TLS/SASL).
func (c *Cluster) Env() []string {
	return []string{"KAFKA_BROKERS=" + strings.Join(c.Config.Brokers, ",")}
}

// CA is a throwaway certificate authority.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
}

// NewCA makes a self-signed CA.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	der, key := issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}, nil)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// ServerCert issues a server certificate for the given DNS names (and no IP addresses, so
// a client dialling 127.0.0.1 must skip the host name check, as CKafka requires).
func (ca *CA) ServerCert(t testing.TB, dnsNames ...string) tls.Certificate {
	t.Helper()
	der, key := issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: dnsNames[0]},
		DNSNames:    dnsNames,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca)
	return tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key}
}

// issue gives tmpl a fresh P-256 key, a serial number and a validity from an hour ago to a
// day ahead, and signs it with ca (nil: self-signed). It returns the DER and the key.
func issue(t testing.TB, tmpl *x509.Certificate, ca *CA) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}
