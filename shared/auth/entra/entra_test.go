package entra_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth/entra"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
)

const scope = "https://hib.azurehdinsight.net/.default"

func newSource(t *testing.T, srv *entratest.Server, edit func(*entra.Config)) *entra.Source {
	t.Helper()
	cfg := entra.Config{AuthorityHost: srv.URL, TenantID: srv.Tenant, AllowedScopes: []string{scope},
		HTTPTimeout: 5 * time.Second, MaxClients: 4}
	if edit != nil {
		edit(&cfg)
	}
	s, err := entra.New(cfg, entra.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func clientID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

func TestSource(t *testing.T) {
	t.Run("a cached token is served while the identity provider is down", func(t *testing.T) {
		t.Setenv("MSAL_FORCE_REGION", "")
		srv := entratest.New(t)
		srv.Register(entratest.App{ClientID: clientID(1), Secret: "s1"})
		s := newSource(t, srv, nil)
		cred := entra.Credential{ClientID: clientID(1), Secret: "s1"}
		first, err := s.Token(context.Background(), cred, []string{scope})
		if err != nil || first.FromCache {
			t.Fatalf("first: %+v, %v", first, err)
		}
		srv.SetDown(true)
		second, err := s.Token(context.Background(), cred, []string{scope})
		if err != nil || !second.FromCache || second.AccessToken != first.AccessToken {
			t.Fatalf("second: from cache %v, %v", second.FromCache, err)
		}
		if !s.Known(cred) || s.Known(entra.Credential{ClientID: clientID(1), Secret: "other"}) {
			t.Fatal("Known does not tell the good credential from another secret")
		}
	})
	t.Run("a set MSAL_FORCE_REGION is ignored unless a region is configured", func(t *testing.T) {
		t.Setenv("MSAL_FORCE_REGION", "westus")
		srv := entratest.New(t)
		srv.Register(entratest.App{ClientID: clientID(1), Secret: "s1"})
		s := newSource(t, srv, nil)
		if _, err := s.Token(context.Background(), entra.Credential{ClientID: clientID(1), Secret: "s1"}, []string{scope}); err != nil {
			t.Fatalf("token with MSAL_FORCE_REGION set: %v", err)
		}
	})
	t.Run("the client cache is bounded", func(t *testing.T) {
		t.Setenv("MSAL_FORCE_REGION", "")
		srv := entratest.New(t)
		s := newSource(t, srv, nil)
		for i := range 10 {
			srv.Register(entratest.App{ClientID: clientID(i), Secret: "s"})
			if _, err := s.Token(context.Background(), entra.Credential{ClientID: clientID(i), Secret: "s"}, []string{scope}); err != nil {
				t.Fatal(err)
			}
		}
		if n := s.Len(); n != 4 {
			t.Fatalf("cached clients = %d, want 4 (MaxClients)", n)
		}
	})
	t.Run("refused credentials are not kept", func(t *testing.T) {
		t.Setenv("MSAL_FORCE_REGION", "")
		srv := entratest.New(t)
		srv.Register(entratest.App{ClientID: clientID(1), Secret: "s1"})
		s := newSource(t, srv, nil)
		_, err := s.Token(context.Background(), entra.Credential{ClientID: clientID(1), Secret: "bad"}, []string{scope})
		if apierr.CodeOf(err) != entra.CodeInvalidClient || apierr.KindOf(err) != apierr.Unauthorized {
			t.Fatalf("err = %v (code %s)", err, apierr.CodeOf(err))
		}
		if strings.Contains(err.Error(), "bad") {
			t.Fatalf("error echoes the secret: %v", err)
		}
		if s.Len() != 0 {
			t.Fatalf("cached clients = %d, want 0", s.Len())
		}
	})
	t.Run("an unknown tenant → BadGateway server_error", func(t *testing.T) {
		t.Setenv("MSAL_FORCE_REGION", "")
		srv := entratest.New(t)
		s := newSource(t, srv, func(c *entra.Config) { c.TenantID = "00000000-1111-2222-3333-444444444444" })
		_, err := s.Token(context.Background(), entra.Credential{ClientID: clientID(1), Secret: "s"}, []string{scope})
		if apierr.KindOf(err) != apierr.BadGateway || apierr.CodeOf(err) != entra.CodeServerError {
			t.Fatalf("err = %v (kind %s, code %s)", err, apierr.KindOf(err), apierr.CodeOf(err))
		}
	})
	t.Run("an unreachable identity provider → Unavailable", func(t *testing.T) {
		t.Setenv("MSAL_FORCE_REGION", "")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		s, err := entra.New(entra.Config{AuthorityHost: "https://" + addr, TenantID: entratest.DefaultTenant, HTTPTimeout: 2 * time.Second},
			entra.WithHTTPClient(&http.Client{Timeout: 2 * time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Token(context.Background(), entra.Credential{ClientID: clientID(1), Secret: "s"}, []string{scope})
		if apierr.KindOf(err) != apierr.Unavailable || apierr.CodeOf(err) != entra.CodeTemporarilyUnavailable {
			t.Fatalf("err = %v (kind %s, code %s)", err, apierr.KindOf(err), apierr.CodeOf(err))
		}
	})
	t.Run("a cancelled caller stops waiting", func(t *testing.T) {
		t.Setenv("MSAL_FORCE_REGION", "")
		srv := entratest.New(t)
		s := newSource(t, srv, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Token(ctx, entra.Credential{ClientID: clientID(1), Secret: "s"}, []string{scope})
		if err == nil {
			t.Fatal("no error for a cancelled context")
		}
	})
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  entra.Config
	}{
		{"no tenant is refused", entra.Config{AuthorityHost: "https://login.microsoftonline.com"}},
		{"a plain-http authority is refused", entra.Config{AuthorityHost: "http://127.0.0.1:1", TenantID: entratest.DefaultTenant}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := entra.New(tc.cfg); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
	t.Run("the default authority is the public cloud's", func(t *testing.T) {
		s, err := entra.New(entra.Config{TenantID: "contoso.onmicrosoft.com"})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Authority(); got != "https://login.microsoftonline.com/contoso.onmicrosoft.com" {
			t.Fatalf("Authority = %q", got)
		}
	})
}
