package broker

// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka speaks them (KIP-84).
//
// Written here instead of using kafka-go's sasl/scram (a wrapper of github.com/xdg-go/scram)
// for two measured reasons:
//   - Kafka does not apply SASLprep (RFC 4013): the broker derives the salted password from
//     the password's UTF-8 bytes as they are (org.apache.kafka.common.security.scram.internals.
//     ScramFormatter.normalize), and so do franz-go and kfake. xdg-go/scram SASLpreps the
//     username and password, so a password that SASLprep changes (a no-break space, a
//     compatibility character such as "ﬁ") fails against every Kafka broker, and one it
//     prohibits (a control character) fails before dialling. TestSCRAMPasswordBytes shows both.
//   - The SASLprep tables (github.com/xdg-go/stringprep and golang.org/x/text/unicode/norm)
//     were ~290 KB of every route binary (docs/performance.md, "Binary size").
// The exchange is small: crypto/pbkdf2 and crypto/hmac from the standard library do the
// cryptography; this file parses the two server messages, bounds what a hostile broker can
// make the client do, and checks the server's signature.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"

	"github.com/segmentio/kafka-go/sasl"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Iteration bounds: Kafka refuses SCRAM credentials outside [4096, 16384]
// (ScramMechanism.minIterations / maxIterations), so a server-first message outside them is
// not from a Kafka broker and must not make the client spend unbounded CPU.
const (
	scramMinIterations = 4096
	scramMaxIterations = 16384
	scramMaxMessage    = 4096 // bytes in a server message; Kafka's are ~150
)

// scramMechanism is one SCRAM user. It is safe for concurrent use: every connection starts
// its own session, and the salted password of the last (salt, iterations) is cached, so a
// reconnect does not repeat the PBKDF2 derivation (4096+ rounds).
type scramMechanism struct {
	name     string // SCRAM-SHA-256 or SCRAM-SHA-512
	newHash  func() hash.Hash
	user     string // already escaped for the n= attribute
	password string

	mu    sync.Mutex
	cache scramKeys
}

type scramKeys struct {
	salt       string
	iterations int
	salted     []byte
}

func newSCRAM(mechanism, username, password string) (*scramMechanism, error) {
	m := &scramMechanism{name: mechanism, password: password}
	switch mechanism {
	case SASLScramSHA256:
		m.newHash = sha256.New
	case SASLScramSHA512:
		m.newHash = sha512.New
	default:
		return nil, fmt.Errorf("unsupported SCRAM mechanism %q", mechanism)
	}
	if username == "" {
		return nil, errors.New("KAFKA_SASL_USERNAME is empty")
	}
	// RFC 5802 §5.1: "," and "=" in a username are sent as "=2C" and "=3D".
	m.user = strings.NewReplacer("=", "=3D", ",", "=2C").Replace(username)
	return m, nil
}

func (m *scramMechanism) Name() string { return m.name }

// Start sends the client-first message: no channel binding ("n,,"), the escaped username
// and a fresh 24-byte nonce.
func (m *scramMechanism) Start(context.Context) (sasl.StateMachine, []byte, error) {
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, nil, err
	}
	s := &scramSession{m: m, nonce: base64.RawStdEncoding.EncodeToString(raw[:])}
	s.clientFirstBare = "n=" + m.user + ",r=" + s.nonce
	return s, []byte("n,," + s.clientFirstBare), nil
}

// salted returns Hi(password, salt, iterations), from the cache when the broker sent the
// same salt and count as last time.
func (m *scramMechanism) salted(salt []byte, iterations int) ([]byte, error) {
	m.mu.Lock()
	c := m.cache
	m.mu.Unlock()
	if c.salted != nil && c.iterations == iterations && c.salt == string(salt) {
		return c.salted, nil
	}
	k, err := pbkdf2.Key(m.newHash, m.password, salt, iterations, m.newHash().Size())
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.cache = scramKeys{salt: string(salt), iterations: iterations, salted: k}
	m.mu.Unlock()
	return k, nil
}

// scramSession is one exchange: server-first → client-final, then server-final → done.
type scramSession struct {
	m               *scramMechanism
	nonce           string
	clientFirstBare string
	serverSignature []byte // set once the client-final message is sent
	done            bool
}

func (s *scramSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	switch {
	case s.done:
		return false, nil, errors.New("SCRAM: the broker sent a message after the exchange ended")
	case len(challenge) > scramMaxMessage:
		return false, nil, fmt.Errorf("SCRAM: the broker sent a %d-byte message (at most %d)", len(challenge), scramMaxMessage)
	case s.serverSignature == nil:
		return s.clientFinal(challenge)
	default:
		return s.verify(challenge)
	}
}

// clientFinal answers the server-first message r=<nonce>,s=<salt>,i=<iterations>[,ext…]
// with c=biws,r=<nonce>,p=<proof>.
func (s *scramSession) clientFinal(serverFirst []byte) (bool, []byte, error) {
	f, err := parseServerFirst(serverFirst)
	if err != nil {
		return false, nil, err
	}
	if !strings.HasPrefix(f.nonce, s.nonce) || len(f.nonce) == len(s.nonce) {
		return false, nil, errors.New("SCRAM: the broker's nonce does not extend the client's")
	}
	salted, err := s.m.salted(f.salt, f.iterations)
	if err != nil {
		return false, nil, fmt.Errorf("SCRAM: %w", err)
	}
	withoutProof := "c=biws,r=" + f.nonce // biws: base64 of the "n,," GS2 header
	authMessage := s.clientFirstBare + "," + string(serverFirst) + "," + withoutProof

	clientKey := s.hmac(salted, "Client Key")
	h := s.m.newHash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)
	proof := s.hmac(storedKey, authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	s.serverSignature = s.hmac(s.hmac(salted, "Server Key"), authMessage)
	out := make([]byte, 0, len(withoutProof)+3+base64.StdEncoding.EncodedLen(len(proof)))
	out = append(out, withoutProof...)
	out = append(out, ",p="...)
	out = base64.StdEncoding.AppendEncode(out, proof)
	return false, out, nil
}

// verify checks the server-final message v=<signature>, or reports e=<error>.
func (s *scramSession) verify(serverFinal []byte) (bool, []byte, error) {
	s.done = true
	attr, _, _ := bytes.Cut(serverFinal, []byte(","))
	switch {
	case bytes.HasPrefix(attr, []byte("e=")):
		return false, nil, fmt.Errorf("SCRAM: the broker refused the exchange: %q", apierr.Clip(string(attr[2:]), 64))
	case !bytes.HasPrefix(attr, []byte("v=")):
		return false, nil, errors.New("SCRAM: the broker's final message has no verifier")
	}
	sig, err := base64.StdEncoding.DecodeString(string(attr[2:]))
	if err != nil || !hmac.Equal(sig, s.serverSignature) {
		return false, nil, errors.New("SCRAM: the broker's signature does not match: it does not know this user's credentials")
	}
	return true, nil, nil
}

func (s *scramSession) hmac(key []byte, msg string) []byte {
	h := hmac.New(s.m.newHash, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

type serverFirst struct {
	nonce      string
	salt       []byte
	iterations int
}

// parseServerFirst reads r=, s= and i=, in that order (RFC 5802 §7), followed by optional
// extensions (Kafka's tokenauth=true for delegation tokens), which are ignored. A mandatory
// extension (m=) is refused, as the RFC asks.
func parseServerFirst(msg []byte) (serverFirst, error) {
	var f serverFirst
	attrs := strings.Split(string(msg), ",")
	if len(attrs) > 0 && strings.HasPrefix(attrs[0], "m=") {
		return f, errors.New("SCRAM: the broker asks for a mandatory extension this client does not know")
	}
	if len(attrs) < 3 {
		return f, errors.New("SCRAM: the broker's first message is not r=…,s=…,i=…")
	}
	nonce, ok1 := strings.CutPrefix(attrs[0], "r=")
	salt, ok2 := strings.CutPrefix(attrs[1], "s=")
	iter, ok3 := strings.CutPrefix(attrs[2], "i=")
	if !ok1 || !ok2 || !ok3 {
		return f, errors.New("SCRAM: the broker's first message is not r=…,s=…,i=…")
	}
	for i := 0; i < len(nonce); i++ {
		// printable ASCII except ",", RFC 5802 §7 "printable"
		if c := nonce[i]; c < 0x21 || c > 0x7e || c == ',' {
			return f, errors.New("SCRAM: the broker's nonce is not printable ASCII")
		}
	}
	var err error
	if f.salt, err = base64.StdEncoding.DecodeString(salt); err != nil || len(f.salt) == 0 {
		return f, errors.New("SCRAM: the broker's salt is not base64")
	}
	n, err := strconv.Atoi(iter)
	if err != nil || iter[0] == '+' || iter[0] == '-' {
		return f, errors.New("SCRAM: the broker's iteration count is not a number")
	}
	if n < scramMinIterations || n > scramMaxIterations {
		return f, fmt.Errorf("SCRAM: the broker asks for %d iterations, outside Kafka's %d..%d", n, scramMinIterations, scramMaxIterations)
	}
	f.nonce, f.iterations = nonce, n
	return f, nil
}
