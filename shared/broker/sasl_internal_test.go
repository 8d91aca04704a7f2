package broker

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker/saslcred"
)

func TestOAuthBearerMessage(t *testing.T) {
	tests := []struct {
		name, token, ext string
		want             string // "" = refused
	}{
		{"RFC 7628 client-first message", "eyJh.eyJi.c2ln", "", "n,,\x01auth=Bearer eyJh.eyJi.c2ln\x01\x01"},
		{"with extensions", "abc", "identityPoolId=pool-1\x01logicalCluster=lkc-1\x01", "n,,\x01auth=Bearer abc\x01identityPoolId=pool-1\x01logicalCluster=lkc-1\x01\x01"},
		{"a token that would break the framing", "abc\x01auth=Bearer x", "", ""},
		{"an empty-looking token", "a b", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &oauthMechanism{extensions: tt.ext, tokens: saslcred.NewTokens(func(context.Context) (saslcred.Token, error) {
				return saslcred.Token{Value: tt.token, Expiry: time.Now().Add(time.Hour)}, nil
			}, time.Second)}
			si := &sessionInfo{}
			_, msg, err := m.Start(context.WithValue(context.Background(), sessionInfoKey{}, si))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("sent %q", msg)
				}
				return
			}
			if err != nil || string(msg) != tt.want {
				t.Fatalf("got %q, %v; want %q", msg, err, tt.want)
			}
			if time.Until(si.credentialExpiry) < 59*time.Minute {
				t.Errorf("the token's expiry was not recorded for the session: %v", si.credentialExpiry)
			}
		})
	}
}

func TestOAuthBearerServerAnswers(t *testing.T) {
	s := &oauthSession{}
	if done, out, err := s.Next(context.Background(), nil); !done || out != nil || err != nil {
		t.Fatalf("empty answer: %v %q %v; want success", done, out, err)
	}
	s = &oauthSession{}
	done, out, err := s.Next(context.Background(), []byte(`{"status":"invalid_token","scope":"https://ns.servicebus.windows.net/.default"}`))
	if done || !bytes.Equal(out, []byte{1}) || err != nil || s.refusal() != "status invalid_token, scope https://ns.servicebus.windows.net/.default" {
		t.Fatalf("error challenge: %v %q %v %q; want a single \\x01 in reply", done, out, err, s.refusal())
	}
	if done, _, err := s.Next(context.Background(), nil); done || err == nil {
		t.Fatal("a refused exchange must not complete, whatever the broker answers next")
	}
}

func FuzzOAuthBearerChallenge(f *testing.F) {
	f.Add([]byte(`{"status":"invalid_token"}`))
	f.Add([]byte(`{"status":"","openid-configuration":"https://x"}`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, challenge []byte) {
		s := &oauthSession{}
		done, out, err := s.Next(context.Background(), challenge)
		if len(challenge) == 0 {
			if !done || err != nil {
				t.Fatal("an empty answer is success")
			}
			return
		}
		if done || err != nil || !bytes.Equal(out, []byte{1}) || s.refusal() == "" {
			t.Fatalf("challenge %q: %v %q %v", challenge, done, out, err)
		}
	})
}
