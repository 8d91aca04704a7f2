package broker_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// saslBroker answers a cluster's SASL exchange in request controls, the way a broker
// serving mech would, and keeps what clients sent. verify checks one client-first message:
// lifetime is the session lifetime to state (KIP-368), err a refusal.
type saslBroker struct {
	mech   string
	verify func(auth []byte) (lifetime time.Duration, err error)

	mu       sync.Mutex
	payloads [][]byte
	refused  []string
	accepted int
}

func (s *saslBroker) install(c *kfake.Cluster) {
	c.ControlKey(int16(kmsg.SASLHandshake), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.SASLHandshakeRequest)
		resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{s.mech}
		if req.Mechanism != s.mech {
			resp.ErrorCode = 33 // UNSUPPORTED_SASL_MECHANISM
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.SASLAuthenticateRequest)
		resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		fail := func(msg string) (kmsg.Response, error, bool) {
			resp.ErrorCode = 58 // SASL_AUTHENTICATION_FAILED
			resp.ErrorMessage = &msg
			return resp, nil, true
		}
		if s.mech == "OAUTHBEARER" && bytes.Equal(req.SASLAuthBytes, []byte{0x01}) {
			return fail("Authentication failed: the token was refused") // the client's answer to the error challenge
		}
		s.mu.Lock()
		s.payloads = append(s.payloads, bytes.Clone(req.SASLAuthBytes))
		s.mu.Unlock()
		lifetime, err := s.verify(req.SASLAuthBytes)
		if err != nil {
			s.mu.Lock()
			s.refused = append(s.refused, err.Error())
			s.mu.Unlock()
			if s.mech == "OAUTHBEARER" { // RFC 7628 §3.2.2: an error challenge first
				resp.SASLAuthBytes = []byte(`{"status":"invalid_token","scope":"https://ns.servicebus.windows.net/.default"}`)
				return resp, nil, true
			}
			return fail("Authentication failed: " + err.Error())
		}
		s.mu.Lock()
		s.accepted++
		s.mu.Unlock()
		resp.SessionLifetimeMillis = lifetime.Milliseconds()
		if s.mech == "AWS_MSK_IAM" {
			resp.SASLAuthBytes = []byte(`{"version":"2020_10_22","request-id":"test"}`)
		}
		return resp, nil, true
	})
}

func (s *saslBroker) counts() (accepted, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, len(s.refused)
}

func (s *saslBroker) last() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.payloads) == 0 {
		return nil
	}
	return s.payloads[len(s.payloads)-1]
}

// sessionEnforcer is the broker's side of session expiry, which kfake lacks: each
// connection's session ends at the deadline sessionEnd finds in what the client wrote
// during authentication (or a fixed lifetime after the dial), and a request written after it
// is a violation: the connection is closed as a broker would close it.
type sessionEnforcer struct {
	lifetime   time.Duration                  // fixed lifetime from the dial; 0: use sessionEnd
	sessionEnd func(written []byte) time.Time // finds the session end in the client's bytes

	dials      atomic.Int64
	closed     atomic.Int64
	violations atomic.Int64
}

var errSessionExpired = errors.New("test broker: session expired, connection closed")

func (e *sessionEnforcer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	e.dials.Add(1)
	ec := &enforcedConn{Conn: c, e: e}
	if e.lifetime > 0 {
		ec.deadline = time.Now().Add(e.lifetime)
	}
	return ec, nil
}

type enforcedConn struct {
	net.Conn
	e        *sessionEnforcer
	mu       sync.Mutex
	seen     []byte
	deadline time.Time
	once     sync.Once
}

func (c *enforcedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if !c.deadline.IsZero() && time.Now().After(c.deadline) {
		c.mu.Unlock()
		c.e.violations.Add(1)
		_ = c.Close()
		return 0, errSessionExpired
	}
	if c.deadline.IsZero() && c.e.sessionEnd != nil && len(c.seen) < 1<<16 {
		c.seen = append(c.seen, b...)
		c.deadline = c.e.sessionEnd(c.seen)
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *enforcedConn) Close() error {
	c.once.Do(func() { c.e.closed.Add(1) })
	return c.Conn.Close()
}

// bearerExpiry finds "auth=Bearer <jwt>\x01" in b and returns the JWT's exp.
func bearerExpiry(b []byte) time.Time {
	i := bytes.Index(b, []byte("auth=Bearer "))
	if i < 0 {
		return time.Time{}
	}
	rest := b[i+len("auth=Bearer "):]
	j := bytes.IndexByte(rest, 0x01)
	if j < 0 {
		return time.Time{}
	}
	var claims jwt.RegisteredClaims // the broker's view: the exp claim, signature unchecked
	if _, _, err := jwt.NewParser().ParseUnverified(string(rest[:j]), &claims); err != nil || claims.ExpiresAt == nil || claims.ExpiresAt.Unix() == 0 {
		return time.Time{}
	}
	return claims.ExpiresAt.Time
}
