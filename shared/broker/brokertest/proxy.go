package brokertest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a TCP proxy in front of a kfake cluster, for fault injection. Start the cluster
// with kfake.ListenFn(p.Listen): each broker then advertises a port of the proxy, so every
// client (one configured from KAFKA_BROKERS alone included) reaches the brokers only through
// it. The proxy can kill, freeze or refuse connections the way networks and frozen function
// containers do. It is closed when the test ends.
type Proxy struct {
	mu     sync.Mutex
	routes map[string]*route // advertised (proxy) address → route
	links  map[*link]struct{}
	down   bool
	closed bool

	killNextResponse atomic.Bool
	responseDelay    atomic.Int64  // nanoseconds each broker frame is held back
	delayChanged     chan struct{} // closed (and replaced) by DelayResponses and Close; under mu
	accepted         atomic.Int64
	wg               sync.WaitGroup
}

type route struct {
	target string       // the broker's own address
	ln     net.Listener // the proxy's listener, at the address the broker advertises
}

// link is one proxied connection: the client's side and the broker's side.
type link struct {
	client, broker net.Conn
	frozen         chan struct{} // closed when the link is frozen
	mu             sync.Mutex
	produces       map[uint32]struct{} // correlation ids of produce requests in flight
	freezeOnce     sync.Once
	closeOnce      sync.Once
}

// NewProxy returns a proxy with no routes yet; Listen opens one per broker.
func NewProxy(t testing.TB) *Proxy {
	p := &Proxy{routes: map[string]*route{}, links: map[*link]struct{}{}}
	t.Cleanup(p.Close)
	return p
}

// Listen is the kfake.ListenFn that puts the proxy in front of the cluster: the broker
// listens on a port of its own and advertises a port of the proxy.
func (p *Proxy) Listen(network, address string) (net.Listener, error) {
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = ln.Close()
		_ = front.Close()
		return nil, errors.New("brokertest: proxy closed")
	}
	r := &route{target: ln.Addr().String(), ln: front}
	p.routes[front.Addr().String()] = r
	p.serve(r)
	return advertised{Listener: ln, addr: front.Addr()}, nil
}

// advertised is a broker's listener that reports the proxy's address as its own, which
// kfake advertises in its metadata.
type advertised struct {
	net.Listener
	addr net.Addr
}

func (a advertised) Addr() net.Addr { return a.addr }

func (p *Proxy) serve(r *route) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := r.ln.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			p.connect(c, r.target)
		}
	}()
}

func (p *Proxy) connect(c net.Conn, target string) {
	b, err := net.Dial("tcp", target)
	if err != nil {
		_ = c.Close()
		return
	}
	l := &link{client: c, broker: b, frozen: make(chan struct{}), produces: map[uint32]struct{}{}}
	p.mu.Lock()
	if p.down || p.closed {
		p.mu.Unlock()
		l.close()
		return
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.pipe(l, b, c, false) }() // client → broker
	go func() { defer p.wg.Done(); p.pipe(l, c, b, true) }()  // broker → client
}

// pipe copies src to dst, one Kafka frame (a 4-byte size and the body) at a time, until
// either side fails; then it closes the link. A frozen link keeps both sockets open but
// delivers no more frames, like a connection whose peer vanished; it is closed when one side
// closes it. Frames are parsed, so the proxy carries plaintext Kafka (with or without SASL),
// not TLS.
func (p *Proxy) pipe(l *link, dst, src net.Conn, fromBroker bool) {
	defer p.drop(l)
	var size [4]byte
	for {
		if _, err := io.ReadFull(src, size[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(size[:])
		if n > maxFrame {
			return
		}
		frame := make([]byte, 4+n)
		copy(frame, size[:])
		if _, err := io.ReadFull(src, frame[4:]); err != nil {
			return
		}
		if l.isFrozen() {
			continue // a frozen link swallows everything
		}
		if len(frame) >= 12 && !fromBroker && binary.BigEndian.Uint16(frame[4:6]) == produceKey {
			l.mu.Lock()
			l.produces[binary.BigEndian.Uint32(frame[8:12])] = struct{}{}
			l.mu.Unlock()
		}
		if len(frame) >= 8 && fromBroker {
			id := binary.BigEndian.Uint32(frame[4:8])
			l.mu.Lock()
			_, isProduce := l.produces[id]
			delete(l.produces, id)
			l.mu.Unlock()
			if isProduce && p.killNextResponse.CompareAndSwap(true, false) {
				l.reset()
				return
			}
		}
		if fromBroker {
			p.holdResponse()
		}
		if _, err := dst.Write(frame); err != nil {
			return
		}
	}
}

const (
	maxFrame   = 256 << 20
	produceKey = 0 // the Kafka Produce API key
)

func (l *link) isFrozen() bool {
	select {
	case <-l.frozen:
		return true
	default:
		return false
	}
}

// reset closes both sides abruptly (RST to the client where the OS allows it).
func (l *link) reset() {
	if tc, ok := l.client.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	l.close()
}

func (l *link) close() {
	l.closeOnce.Do(func() {
		_ = l.client.Close()
		_ = l.broker.Close()
	})
}

func (p *Proxy) drop(l *link) {
	l.close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// KillAll resets every open connection: what a client sees after its sockets were torn
// down behind its back (a NAT or load balancer forgetting them, a broker restart).
func (p *Proxy) KillAll() {
	for _, l := range p.takeLinks() {
		l.reset()
	}
}

// FreezeAll silently kills every open connection: the sockets stay open on the client's
// side but no byte moves again, in either direction, so a request sent on one waits for
// ever. This is a function container frozen for longer than the network keeps its flows.
// New connections work normally.
func (p *Proxy) FreezeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.links {
		l.freezeOnce.Do(func() { close(l.frozen) })
	}
}

// KillNextResponse arms a one-shot fault: the next produce response a broker sends is not
// delivered and its connection is reset instead. The broker has applied the write; the
// client never learns it (a lost acknowledgement).
func (p *Proxy) KillNextResponse() { p.killNextResponse.Store(true) }

// DelayResponses holds back every frame a broker sends by d (0 turns it off): a broker
// slower than the client's deadline. Frames already held are released when the delay is
// changed or the proxy closes, so a test can hold responses far longer than any deadline it
// checks and still end at once.
func (p *Proxy) DelayResponses(d time.Duration) {
	p.mu.Lock()
	p.responseDelay.Store(int64(d))
	if p.delayChanged != nil {
		close(p.delayChanged)
	}
	p.delayChanged = make(chan struct{})
	p.mu.Unlock()
}

// holdResponse holds a broker frame for the current response delay, or until the delay is
// changed or the proxy closes.
func (p *Proxy) holdResponse() {
	if p.responseDelay.Load() == 0 {
		return
	}
	p.mu.Lock()
	d, changed := time.Duration(p.responseDelay.Load()), p.delayChanged
	p.mu.Unlock()
	if d <= 0 || changed == nil {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-changed:
	}
}

// Down makes the brokers unreachable: open connections are reset and new dials are
// refused by the operating system, until Up.
func (p *Proxy) Down() {
	p.mu.Lock()
	p.down = true
	for _, r := range p.routes {
		_ = r.ln.Close()
	}
	p.mu.Unlock()
	p.KillAll()
}

// Up makes the brokers reachable again, on the same proxy ports. It does nothing unless Down.
func (p *Proxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.down || p.closed {
		return
	}
	p.down = false
	for addr, r := range p.routes {
		ln, err := net.Listen("tcp", r.ln.Addr().String()) // the address the broker advertises
		if err != nil {
			continue
		}
		nr := &route{target: r.target, ln: ln}
		p.routes[addr] = nr
		p.serve(nr)
	}
}

// Open reports how many proxied connections are open (frozen ones included): a client
// that leaks connections keeps this above zero after it was closed.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Accepted reports how many connections the proxy has accepted in total: with the proxy in
// front of the cluster, every connection a client dialled.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

func (p *Proxy) takeLinks() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*link, 0, len(p.links))
	for l := range p.links {
		out = append(out, l)
		delete(p.links, l)
	}
	return out
}

// Close stops every listener and connection and waits for the proxy's goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for _, r := range p.routes {
		_ = r.ln.Close()
	}
	if p.delayChanged != nil {
		close(p.delayChanged)
		p.delayChanged = nil
	}
	p.mu.Unlock()
	for _, l := range p.takeLinks() {
		l.close()
	}
	p.wg.Wait()
}
