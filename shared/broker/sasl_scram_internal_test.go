package broker

import (
	"context"
	"strings"
	"testing"
)

// The SCRAM-SHA-256 example exchange of RFC 7677 §3 (user "user", password "pencil").
const (
	rfc7677Nonce       = "rOprNGfwEbeRWgbNEkqO"
	rfc7677ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	rfc7677ClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	rfc7677ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
)

// rfc7677Session starts a session and replaces its nonce with the RFC's.
func rfc7677Session(t testing.TB) *scramSession {
	t.Helper()
	m, err := newSCRAM(SASLScramSHA256, "user", "pencil")
	if err != nil {
		t.Fatal(err)
	}
	sm, first, err := m.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(first), "n,,n=user,r=") || len(first) != len("n,,n=user,r=")+32 {
		t.Fatalf("client-first message %q", first)
	}
	s := sm.(*scramSession)
	s.nonce, s.clientFirstBare = rfc7677Nonce, "n=user,r="+rfc7677Nonce
	return s
}

func TestSCRAMRFC7677Exchange(t *testing.T) {
	for round := range 2 { // the second round takes the salted password from the cache
		s := rfc7677Session(t)
		done, out, err := s.Next(context.Background(), []byte(rfc7677ServerFirst))
		if done || err != nil || string(out) != rfc7677ClientFinal {
			t.Fatalf("round %d: client-final %q, %v, %v; want %q", round, out, done, err, rfc7677ClientFinal)
		}
		done, out, err = s.Next(context.Background(), []byte(rfc7677ServerFinal))
		if !done || err != nil || out != nil {
			t.Fatalf("round %d: server-final: %v, %q, %v", round, done, out, err)
		}
		if _, _, err := s.Next(context.Background(), []byte("v=x")); err == nil {
			t.Fatal("a message after the end was accepted")
		}
	}
}

func TestSCRAMUsernameEscaped(t *testing.T) {
	m, err := newSCRAM(SASLScramSHA512, "a,b=c", "x")
	if err != nil {
		t.Fatal(err)
	}
	_, first, err := m.Start(context.Background())
	if err != nil || !strings.HasPrefix(string(first), "n,,n=a=2Cb=3Dc,r=") {
		t.Fatalf("client-first %q, %v", first, err)
	}
	if _, err := newSCRAM(SASLScramSHA512, "", "x"); err == nil {
		t.Error("an empty username was accepted")
	}
}

// TestSCRAMRefusesHostileBroker: every malformed or hostile server message ends the exchange
// with an error, and none makes the client derive keys outside Kafka's iteration bounds.
func TestSCRAMRefusesHostileBroker(t *testing.T) {
	first := func(s string) string { return strings.Replace(rfc7677ServerFirst, "i=4096", s, 1) }
	tests := []struct {
		name, serverFirst, serverFinal, want string
	}{
		{"a nonce that does not extend the client's", "r=other%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", "does not extend"},
		{"the client's nonce echoed alone", "r=" + rfc7677Nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", "does not extend"},
		{"too few iterations", first("i=1"), "", "outside Kafka's"},
		{"too many iterations", first("i=100000000"), "", "outside Kafka's"},
		{"a signed iteration count", first("i=+4096"), "", "not a number"},
		{"no iteration count", first("i="), "", "not a number"},
		{"attributes out of order", "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" + rfc7677Nonce + "x,i=4096", "", "not r=…,s=…,i=…"},
		{"a salt that is not base64", "r=" + rfc7677Nonce + "x,s=***,i=4096", "", "salt"},
		{"an empty salt", "r=" + rfc7677Nonce + "x,s=,i=4096", "", "salt"},
		{"a nonce with a space", "r=" + rfc7677Nonce + " x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", "printable"},
		{"a mandatory extension", "m=ext," + rfc7677ServerFirst, "", "mandatory extension"},
		{"too short", "r=abc", "", "not r=…,s=…,i=…"},
		{"an oversized message", rfc7677ServerFirst + "," + strings.Repeat("x", scramMaxMessage), "", "-byte message"},
		{"a server error", rfc7677ServerFirst, "e=invalid-proof", `refused the exchange: "invalid-proof"`},
		{"a wrong server signature", rfc7677ServerFirst, "v=" + strings.Repeat("A", 43) + "=", "does not match"},
		{"a signature that is not base64", rfc7677ServerFirst, "v=***", "does not match"},
		{"no verifier", rfc7677ServerFirst, "x=1", "no verifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rfc7677Session(t)
			_, _, err := s.Next(context.Background(), []byte(tt.serverFirst))
			if tt.serverFinal != "" {
				if err != nil {
					t.Fatalf("server-first refused: %v", err)
				}
				_, _, err = s.Next(context.Background(), []byte(tt.serverFinal))
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want one containing %q", err, tt.want)
			}
		})
	}
}

// FuzzSCRAMServerMessages: no server message panics the client, an accepted server-first
// message never asks for iterations outside Kafka's bounds, and the exchange completes only
// with the right signature.
func FuzzSCRAMServerMessages(f *testing.F) {
	f.Add(rfc7677ServerFirst, rfc7677ServerFinal)
	f.Add(rfc7677ServerFirst+",tokenauth=true", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,x")
	f.Add("r=rOprNGfwEbeRWgbNEkqOx,s=AA==,i=16384", "e=other-error")
	f.Fuzz(func(t *testing.T, serverFirst, serverFinal string) {
		if p, err := parseServerFirst([]byte(serverFirst)); err == nil {
			if p.iterations < scramMinIterations || p.iterations > scramMaxIterations || len(p.salt) == 0 {
				t.Fatalf("accepted %q: %+v", serverFirst, p)
			}
		}
		if !strings.HasPrefix(serverFirst, "r="+rfc7677Nonce) {
			return // keeps the fuzzer where the key derivation is exercised, not the nonce check
		}
		s := rfc7677Session(t)
		if _, _, err := s.Next(context.Background(), []byte(serverFirst)); err != nil {
			return
		}
		done, _, err := s.Next(context.Background(), []byte(serverFinal))
		if done != (err == nil) {
			t.Fatalf("done %v with error %v", done, err)
		}
		if done && serverFirst == rfc7677ServerFirst && !strings.HasPrefix(serverFinal, rfc7677ServerFinal) {
			t.Fatalf("completed with server-final %q", serverFinal)
		}
	})
}
