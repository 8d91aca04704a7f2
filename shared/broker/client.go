package broker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Client is a warm, concurrency-safe connection to one Kafka cluster. Build one per process
// with New and share it; Close it on shutdown.
type Client struct {
	cfg       Config
	log       *slog.Logger
	tlsConfig *tls.Config
	mechanism sasl.Mechanism
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)

	transport *sessionTransport
	kc        *kafka.Client
	dialer    *kafka.Dialer

	metaMu      sync.Mutex
	metaConn    *kafka.Conn
	metaUsed    time.Time
	metaSession *sessionConn // metaConn's session, set by the dialer under metaMu

	lastUse   atomic.Int64 // unix nanos of the last call through the transport
	rr        atomic.Uint32
	dials     atomic.Int64
	refreshMu sync.Mutex
	gen       atomic.Int64 // refresh generation
	parts     partCache    // partition counts (partcache.go)
}

// Option configures a Client.
type Option func(*Client)

// WithDialer replaces the TCP dialer, for tests that put a proxy or fault between kafkafn and
// the broker. TLS and SASL still apply on top.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *Client) { c.dial = dial }
}

// New builds a Client from cfg. It validates TLS and SASL settings but does not dial: the
// first call connects, under its own deadline.
func New(cfg Config, opts ...Option) (*Client, error) {
	if len(cfg.Brokers) == 0 { // the message of kafkaenv.RequireBrokers
		return nil, errors.New("broker: KAFKA_BROKERS: is required (comma-separated host:port list)")
	}
	c := &Client{cfg: cfg, log: slog.Default(), parts: partCache{ttl: cfg.MetadataTTL / 4}}
	for _, o := range opts {
		o(c)
	}
	var err error
	if c.tlsConfig, err = TLSConfig(cfg); err != nil {
		return nil, err
	}
	if c.mechanism, err = saslMechanism(cfg); err != nil {
		return nil, err
	}
	netDialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	baseDial := c.dial
	if baseDial == nil {
		baseDial = netDialer.DialContext
	}
	c.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c.dials.Add(1)
		return baseDial(ctx, network, addr)
	}
	// With SASL, kafkafn authenticates in the dial function and retires connections before
	// their session ends (sasl_session.go); kafka-go then gets no TLS or SASL settings.
	var auth *authDialer
	tlsForKafkaGo, saslForKafkaGo := c.tlsConfig, c.mechanism
	if c.mechanism != nil {
		auth = &authDialer{dial: c.dial, tls: c.tlsConfig, mech: c.mechanism, clientID: cfg.ClientID,
			guard: cfg.RequestTimeout + guardSlack}
		tlsForKafkaGo, saslForKafkaGo = nil, nil
	}
	c.transport = newSessionTransport(auth, func(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *kafka.Transport {
		if dial == nil {
			dial = c.dial
		}
		return &kafka.Transport{
			Dial:        dial,
			DialTimeout: cfg.DialTimeout,
			IdleTimeout: cfg.IdleTimeout,
			MetadataTTL: cfg.MetadataTTL,
			ClientID:    cfg.ClientID,
			TLS:         tlsForKafkaGo,
			SASL:        saslForKafkaGo,
		}
	})
	c.kc = &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: cfg.RequestTimeout, Transport: c.transport}
	metaDial := c.dial
	if auth != nil {
		// The dialer is used only by dialAny, under metaMu.
		metaDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := auth.DialContext(ctx, network, addr)
			if err == nil {
				c.metaSession = conn.(*sessionConn)
			}
			return conn, err
		}
	}
	c.dialer = &kafka.Dialer{
		ClientID:      cfg.ClientID,
		Timeout:       cfg.DialTimeout,
		DualStack:     true,
		TLS:           tlsForKafkaGo,
		SASLMechanism: saslForKafkaGo,
		DialFunc:      metaDial,
	}
	return c, nil
}

// Close drops every pooled connection. The Client stays usable: later calls redial.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
	c.metaMu.Lock()
	if c.metaConn != nil {
		_ = c.metaConn.Close()
		c.metaConn = nil
	}
	c.metaMu.Unlock()
}

// Dials reports how many TCP connections the Client has opened: a warm process keeps this
// flat across invocations.
func (c *Client) Dials() int64 { return c.dials.Load() }

// prepare is called before every call through the transport. After an idle longer than
// IdleTimeout (a frozen container thawing, where the transport's idle reaper could not run)
// the pooled connections are dropped instead of being trusted.
func (c *Client) prepare() {
	now := time.Now()
	last := c.lastUse.Swap(now.UnixNano())
	if last != 0 && now.Sub(time.Unix(0, last)) > c.cfg.IdleTimeout {
		c.log.Debug("broker: idle for longer than KAFKA_IDLE_TIMEOUT, redialling")
		c.transport.CloseIdleConnections()
	}
}

// refresh forces fresh cluster metadata into the transport by dropping its pools (the next
// call rediscovers the cluster). gen is the refresh generation the caller saw before its
// failed call: concurrent callers that failed on the same stale state share one refresh.
func (c *Client) refresh(gen int64) {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	c.transport.CloseIdleConnections()
	c.gen.Add(1)
}

// callContext bounds ctx by RequestTimeout. A ctx that ends sooner already is returned as it
// is (a new context would change nothing but cost a timer and a few allocations).
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return c.callContextAt(ctx, time.Now())
}

// callContextAt is callContext for a call that started at start.
func (c *Client) callContextAt(ctx context.Context, start time.Time) (context.Context, context.CancelFunc) {
	deadline := start.Add(c.cfg.RequestTimeout)
	if d, ok := ctx.Deadline(); ok && !d.After(deadline) {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline)
}

// TLSConfig builds the TLS settings for cfg, or nil when TLS is off. With
// TLSSkipHostnameCheck the host name is not compared but the chain is still verified against
// the CA (the CKafka tutorial's ssl_check_hostname=False).
func TLSConfig(cfg Config) (*tls.Config, error) {
	if !cfg.TLS {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	var roots *x509.CertPool
	if len(cfg.TLSCAPEM) > 0 {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(cfg.TLSCAPEM) {
			return nil, errors.New("broker: KAFKA_TLS_CA_FILE/KAFKA_TLS_CA_PEM: no PEM certificates found")
		}
		tc.RootCAs = roots
	}
	if cfg.TLSSkipHostnameCheck {
		tc.InsecureSkipVerify = true // disables Go's chain and name checks; the chain is verified below
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("broker: tls: no peer certificate")
			}
			inter := x509.NewCertPool()
			for _, cert := range cs.PeerCertificates[1:] {
				inter.AddCert(cert)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return tc, nil
}

// metaSessionEnding reports whether the metadata connection's SASL session is due to be
// retired. metaMu is held.
func (c *Client) metaSessionEnding() bool {
	return c.metaSession != nil && c.metaSession.retiring(time.Now())
}
