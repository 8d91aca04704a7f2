package token_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/auth/entratest"
)

func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	return p
}

func TestBinaryDependencies(t *testing.T) {
	t.Run("the token binary links MSAL and no Kafka client", func(t *testing.T) {
		out, err := exec.Command(goTool(t), "list", "-deps", "./cmd/token").CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		deps := string(out)
		for _, bad := range []string{"github.com/segmentio/kafka-go", "github.com/twmb/franz-go", "github.com/kafkafn/kafkafn/shared/broker"} {
			if strings.Contains(deps, bad) {
				t.Errorf("the token binary links %s", bad)
			}
		}
		if !strings.Contains(deps, "github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential") {
			t.Error("the token binary does not link MSAL's confidential client")
		}
	})
}

// TestBinary builds the token binary, runs it as a local server against the fake Entra ID
// (trusted through SSL_CERT_FILE) and asks it for a token.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	srv := entratest.New(t)
	srv.Register(entratest.App{ClientID: clientID, Secret: secret})
	dir := t.TempDir()
	bin := filepath.Join(dir, "token")
	if out, err := exec.Command(goTool(t), "build", "-o", bin, "./cmd/token").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	certFile := filepath.Join(dir, "entra.pem")
	if err := os.WriteFile(certFile, srv.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{
		"ADDR=127.0.0.1:0",
		"TOKEN_TENANT_ID=" + srv.Tenant,
		"TOKEN_AUTHORITY_HOST=" + srv.URL,
		"SSL_CERT_FILE=" + certFile,
		"MSAL_FORCE_REGION=",
		"LOG_LEVEL=debug",
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	addrc := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logs.WriteString(line + "\n")
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				addrc <- rec.Addr
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-done:
		t.Fatalf("the binary exited before listening:\n%s", logs.String())
	case <-ctx.Done():
		t.Fatal("the binary did not start listening")
	}

	resp, err := http.Post(addr+"/v1/token", "application/x-www-form-urlencoded", strings.NewReader(okForm()))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		TokenType   string `json:"token_type"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || body.TokenType != "Bearer" || body.AccessToken == "" || body.ExpiresIn <= 0 {
		t.Fatalf("status %d, body %+v, err %v", resp.StatusCode, body, err)
	}
	if srv.TokenCalls() != 1 {
		t.Fatalf("upstream token calls = %d, want 1", srv.TokenCalls())
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	<-done
	_ = cmd.Wait()
	if strings.Contains(logs.String(), secret) {
		t.Fatal("the binary logged the client secret")
	}
}
