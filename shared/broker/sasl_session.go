package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/apiversions"
	"github.com/segmentio/kafka-go/protocol/saslauthenticate"
	"github.com/segmentio/kafka-go/protocol/saslhandshake"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Design note: SASL sessions end, kafka-go connections do not.
//
// A broker ends an OAUTHBEARER or AWS_MSK_IAM session (and a PLAIN/SCRAM one when
// connections.max.reauth.ms is set) when its lifetime is over: the token's or credentials'
// expiry, or the broker's re-authentication interval (KIP-368), and closes a connection that
// is not re-authenticated in time. kafka-go never re-authenticates, its Transport keeps a
// busy connection for ever (IdleTimeout only reaps idle ones; the Transport's own metadata
// refresh keeps its control connection busy), and it does not even read the session lifetime
// the broker sends. So kafkafn:
//
//  1. runs the SASL exchange itself, in the dial function it gives kafka-go (authDialer):
//     TCP, TLS, ApiVersions, SaslHandshake and SaslAuthenticate v1 with kafka-go's own
//     protocol packages and mechanisms. That reads SessionLifetimeMs, learns the credential
//     expiry from the mechanism, and turns failures into errors that name the mechanism. The
//     connection handed to kafka-go is already authenticated (kafka-go's Transport and
//     Dialer get no SASL settings and send their own ApiVersions, which Kafka allows then).
//  2. marks each connection with a retirement time: its session end minus a guard of
//     KAFKA_REQUEST_TIMEOUT plus two seconds (at most half the session), so any request that
//     starts on it before then is answered before the broker could drop it.
//  3. serves requests through sessionTransport, which holds one kafka.Transport at a time
//     and replaces it, as a whole, once the earliest retirement time of its connections has
//     come (checked before every request and by a timer). Requests in flight finish on the
//     old Transport, which is then closed with its connections and goroutines; new requests
//     go to a new Transport that dials fresh, with fresh credentials. Replacing the whole
//     Transport is the one way to retire a pooled kafka-go connection without failing a
//     request on it: the pool has no per-connection hook.
//
// A connection whose session has no known end (PLAIN or SCRAM on a broker without
// re-authentication) never triggers a replacement. The long-lived metadata connection
// (a kafka.Conn) is redialled before its retirement time in withMetaConn.

// guardSlack is added to the request timeout to get a connection's retirement guard.
const guardSlack = 2 * time.Second

// sessionConn is an authenticated connection and the time by which it must stop taking
// requests (zero: no known session end).
type sessionConn struct {
	net.Conn
	retireAt time.Time
	once     sync.Once
	onClose  func()
}

func (sc *sessionConn) Close() error {
	var err error
	sc.once.Do(func() {
		if sc.onClose != nil {
			sc.onClose()
		}
		err = sc.Conn.Close()
	})
	return err
}

func (sc *sessionConn) retiring(now time.Time) bool {
	return !sc.retireAt.IsZero() && !now.Before(sc.retireAt)
}

// sessionInfo travels in the context of one SASL exchange; mechanisms record in it when
// the credentials they presented expire.
type sessionInfo struct{ credentialExpiry time.Time }

type sessionInfoKey struct{}

// noteCredentialExpiry records that the credentials presented in ctx's exchange expire at t.
func noteCredentialExpiry(ctx context.Context, t time.Time) {
	si, _ := ctx.Value(sessionInfoKey{}).(*sessionInfo)
	if si == nil || t.IsZero() {
		return
	}
	if si.credentialExpiry.IsZero() || t.Before(si.credentialExpiry) {
		si.credentialExpiry = t
	}
}

// authDialer dials, does TLS and authenticates with mech.
type authDialer struct {
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	tls      *tls.Config
	mech     sasl.Mechanism
	clientID string
	guard    time.Duration
}

// DialContext returns an authenticated *sessionConn. The whole exchange is bounded by ctx
// (kafka-go gives it KAFKA_DIAL_TIMEOUT).
func (d *authDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(portStr)
	raw, err := d.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	conn := raw
	ok := false
	defer func() {
		if !ok {
			_ = conn.Close()
		}
	}()
	if d.tls != nil {
		cfg := d.tls
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		tc := tls.Client(raw, cfg)
		conn = tc
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
	}
	if dl, has := ctx.Deadline(); has {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) }) // a cancelled dial stops reading
	defer stop()
	si := &sessionInfo{}
	start := time.Now()
	lifetime, err := d.authenticate(context.WithValue(ctx, sessionInfoKey{}, si), conn, host, port)
	if err != nil {
		if ctx.Err() != nil && !errors.As(err, new(*Error)) {
			return nil, fmt.Errorf("SASL %s with %s: %w", d.mech.Name(), addr, ctx.Err())
		}
		return nil, err
	}
	if !stop() {
		return nil, ctx.Err()
	}
	_ = conn.SetDeadline(time.Time{})
	sc := &sessionConn{Conn: conn}
	var end time.Time
	if lifetime > 0 {
		end = start.Add(lifetime)
	}
	if ce := si.credentialExpiry; !ce.IsZero() && (end.IsZero() || ce.Before(end)) {
		end = ce
	}
	if !end.IsZero() {
		sc.retireAt = end.Add(-min(d.guard, end.Sub(start)/2))
	}
	ok = true
	return sc, nil
}

// authenticate runs ApiVersions, SaslHandshake and the SaslAuthenticate rounds on conn and
// returns the session lifetime the broker stated (0: none).
func (d *authDialer) authenticate(ctx context.Context, conn net.Conn, host string, port int) (time.Duration, error) {
	name := d.mech.Name()
	// protocol.Conn reads through a buffer; nothing is left in it afterwards because the
	// broker sends nothing it was not asked for.
	pc := protocol.NewConn(conn, d.clientID)
	r, err := pc.RoundTrip(new(apiversions.Request))
	if err != nil {
		return 0, err
	}
	av := r.(*apiversions.Response)
	if av.ErrorCode != 0 {
		return 0, fmt.Errorf("negotiating API versions with %s: %w", host, kafka.Error(av.ErrorCode))
	}
	versions := make(map[protocol.ApiKey]int16, len(av.ApiKeys))
	for _, k := range av.ApiKeys {
		versions[protocol.ApiKey(k.ApiKey)] = protocol.ApiKey(k.ApiKey).SelectVersion(k.MinVersion, k.MaxVersion)
	}
	pc.SetVersions(versions)
	r, err = pc.RoundTrip(&saslhandshake.Request{Mechanism: name})
	if err != nil {
		return 0, err
	}
	if hs := r.(*saslhandshake.Response); hs.ErrorCode != 0 {
		return 0, authFailed(name, fmt.Sprintf("the broker does not accept %s (it offers %v)", name, hs.Mechanisms), kafka.Error(hs.ErrorCode))
	}
	sess, state, err := d.mech.Start(sasl.WithMetadata(ctx, &sasl.Metadata{Host: host, Port: port}))
	if err != nil {
		return 0, credentialsFailed(name, err)
	}
	var lifetime time.Duration
	for done := false; !done; {
		r, err := pc.RoundTrip(&saslauthenticate.Request{AuthBytes: state})
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				// Brokers may answer a refused exchange by closing the connection.
				return 0, authFailed(name, "the broker closed the connection during authentication"+refusal(sess), kafka.SASLAuthenticationFailed)
			}
			return 0, err
		}
		res := r.(*saslauthenticate.Response)
		if res.ErrorCode != 0 {
			return 0, authFailed(name, "the broker refused the credentials"+refusal(sess), fmt.Errorf("%w: %s", kafka.Error(res.ErrorCode), res.ErrorMessage))
		}
		if res.SessionLifetimeMs > 0 {
			lifetime = time.Duration(res.SessionLifetimeMs) * time.Millisecond
		}
		if done, state, err = sess.Next(ctx, res.AuthBytes); err != nil {
			return 0, authFailed(name, "the exchange failed", err)
		}
	}
	return lifetime, nil
}

// refuser is a SASL session that can say why the broker refused it.
type refuser interface{ refusal() string }

func refusal(sess sasl.StateMachine) string {
	if r, ok := sess.(refuser); ok && r.refusal() != "" {
		return " (" + r.refusal() + ")"
	}
	return ""
}

// saslHints name what to check for each mechanism.
var saslHints = map[string]string{
	"AWS_MSK_IAM": "check AWS_REGION and that the function's role may kafka-cluster:Connect to this cluster",
	"OAUTHBEARER": "check KAFKA_OAUTH_* and that the identity has a role on the Kafka service",
}

func saslHint(mech string) string {
	if h, ok := saslHints[mech]; ok {
		return h
	}
	return "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
}

// authFailed reports a broker that refused kafkafn's SASL credentials.
func authFailed(mech, detail string, err error) error {
	return newError("authenticate", "", -1, apierr.Unavailable, "kafka_auth_failed",
		"kafkafn could not authenticate to Kafka with "+mech+" ("+saslHint(mech)+")",
		fmt.Errorf("SASL %s: %s: %w", mech, detail, err))
}

// credentialsFailed reports credentials kafkafn could not obtain. The cause is kept as text
// only: a token endpoint that is down is not a broken Kafka connection to retry on.
func credentialsFailed(mech string, err error) error {
	return newError("authenticate", "", -1, apierr.Unavailable, "kafka_credentials_unavailable",
		"kafkafn could not obtain its "+mech+" credentials ("+saslHint(mech)+")",
		fmt.Errorf("SASL %s: credentials: %v", mech, err))
}

// sessionTransport is a kafka.RoundTripper over one kafka.Transport at a time, replaced
// before any of its connections' SASL sessions end (see the design note above).
type sessionTransport struct {
	build func(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *kafka.Transport
	auth  *authDialer // nil: no SASL, connections have no session end

	mu      sync.Mutex
	cur     *generation
	retired atomic.Int64 // generations replaced because a session was ending
}

// generation is one kafka.Transport and the authenticated connections it dialled.
type generation struct {
	s        *sessionTransport
	t        *kafka.Transport
	inflight int  // under s.mu
	done     bool // under s.mu: replaced; closed once inflight is 0

	mu       sync.Mutex
	conns    map[*sessionConn]struct{}
	timer    *time.Timer
	retireAt atomic.Int64 // unix nanos of the earliest retirement; 0 = none
	replaced atomic.Bool  // no timer once replaced
}

func newSessionTransport(auth *authDialer, build func(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *kafka.Transport) *sessionTransport {
	return &sessionTransport{build: build, auth: auth}
}

// RoundTrip implements kafka.RoundTripper.
func (s *sessionTransport) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	g := s.acquire()
	defer s.release(g)
	return g.t.RoundTrip(ctx, addr, req)
}

// CloseIdleConnections replaces the current Transport: its idle connections close now,
// busy ones when their request ends; the next request dials afresh.
func (s *sessionTransport) CloseIdleConnections() {
	s.mu.Lock()
	g := s.cur
	closeNow := g != nil && s.retireLocked(g)
	s.mu.Unlock()
	if closeNow {
		g.t.CloseIdleConnections()
	}
}

func (s *sessionTransport) acquire() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.cur; g != nil && g.due(time.Now()) {
		s.retired.Add(1)
		if s.retireLocked(g) {
			go g.t.CloseIdleConnections()
		}
	}
	if s.cur == nil {
		s.cur = s.newGeneration()
	}
	s.cur.inflight++
	return s.cur
}

func (s *sessionTransport) release(g *generation) {
	s.mu.Lock()
	g.inflight--
	closeNow := g.done && g.inflight == 0
	s.mu.Unlock()
	if closeNow {
		g.t.CloseIdleConnections()
	}
}

// retireLocked marks g replaced and reports whether it can be closed now (nothing in
// flight). s.mu is held.
func (s *sessionTransport) retireLocked(g *generation) bool {
	if s.cur == g {
		s.cur = nil
	}
	if g.done {
		return false
	}
	g.done = true
	g.replaced.Store(true)
	g.mu.Lock()
	if g.timer != nil {
		g.timer.Stop()
	}
	g.mu.Unlock()
	return g.inflight == 0
}

// expire is the timer's path: it replaces g when its earliest connection is due, even if
// no request comes (the Transport's metadata refresh would otherwise use it).
func (s *sessionTransport) expire(g *generation) {
	s.mu.Lock()
	closeNow := false
	if !g.done && g.due(time.Now()) {
		s.retired.Add(1)
		closeNow = s.retireLocked(g)
	}
	s.mu.Unlock()
	if closeNow {
		g.t.CloseIdleConnections()
	}
}

func (s *sessionTransport) newGeneration() *generation {
	g := &generation{s: s, conns: map[*sessionConn]struct{}{}}
	if s.auth == nil {
		g.t = s.build(nil)
	} else {
		g.t = s.build(g.dial)
	}
	return g
}

func (g *generation) due(now time.Time) bool {
	at := g.retireAt.Load()
	return at != 0 && now.UnixNano() >= at
}

func (g *generation) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := g.s.auth.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	sc := c.(*sessionConn)
	if !sc.retireAt.IsZero() {
		sc.onClose = func() { g.untrack(sc) }
		g.mu.Lock()
		g.conns[sc] = struct{}{}
		g.updateLocked()
		g.mu.Unlock()
	}
	return sc, nil
}

func (g *generation) untrack(sc *sessionConn) {
	g.mu.Lock()
	delete(g.conns, sc)
	g.updateLocked()
	g.mu.Unlock()
}

// updateLocked recomputes the earliest retirement and re-arms the timer. g.mu is held.
func (g *generation) updateLocked() {
	var earliest time.Time
	for c := range g.conns {
		if earliest.IsZero() || c.retireAt.Before(earliest) {
			earliest = c.retireAt
		}
	}
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	if earliest.IsZero() {
		g.retireAt.Store(0)
		return
	}
	g.retireAt.Store(earliest.UnixNano())
	if g.replaced.Load() {
		return
	}
	g.timer = time.AfterFunc(time.Until(earliest), func() { g.s.expire(g) })
}
