package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/auth/apikey"
	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

// TestRun checks that the printed entry, read back as AUTH_API_KEYS, accepts the printed secret.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, rand.Reader, ""); err != nil {
		t.Fatal(err)
	}
	var id, secret, entry string
	for _, line := range strings.Split(out.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "id:"):
			id = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		case strings.HasPrefix(line, "secret:"):
			secret = strings.TrimSpace(strings.TrimPrefix(line, "secret:"))
		case strings.HasPrefix(line, "AUTH_API_KEYS="):
			entry = strings.Trim(strings.TrimPrefix(line, "AUTH_API_KEYS="), "'")
		}
	}
	if raw, err := base64.RawURLEncoding.DecodeString(secret); err != nil || len(raw) != 32 || !strings.HasPrefix(id, "key-") {
		t.Fatalf("id %q secret %q (%v)", id, secret, err)
	}
	if !json.Valid([]byte(entry)) || strings.Contains(entry, secret) {
		t.Fatalf("entry %s", entry)
	}
	cfg, err := authenv.AuthFromEnv(func(k string) string {
		if k == "AUTH_API_KEYS" {
			return entry
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := apikey.New(cfg.APIKeys)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := a.Check(id, secret); err != nil || p.ID != id {
		t.Fatalf("%v %v", p, err)
	}
	if _, err := a.Check(id, secret+"x"); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
}

func TestRunRefusesAnIDTheConfigWouldRefuse(t *testing.T) {
	for _, id := range []string{"ci key", "a:b", "é", strings.Repeat("x", 65)} {
		var out bytes.Buffer
		if err := run(&out, rand.Reader, id); err == nil || out.Len() != 0 {
			t.Errorf("-id %q: err %v, printed %q", id, err, out.String())
		}
	}
	var out bytes.Buffer
	if err := run(&out, rand.Reader, "ci.deploy_1-a"); err != nil || !strings.Contains(out.String(), `"ci.deploy_1-a"`) {
		t.Errorf("a valid id: %v %s", err, out.String())
	}
}
