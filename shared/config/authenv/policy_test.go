package authenv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

func TestPolicyFromEnv(t *testing.T) {
	p, err := authenv.PolicyFromEnv(env(nil))
	if err != nil || p.Set() {
		t.Fatalf("unset: %+v, %v", p, err)
	}
	p, err = authenv.PolicyFromEnv(env(map[string]string{"AUTH_POLICY": ` {"rules":[]} `}))
	if err != nil || string(p.JSON) != `{"rules":[]}` || p.Source != "AUTH_POLICY" {
		t.Fatalf("inline: %+v, %v", p, err)
	}
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := authenv.PolicyFromEnv(env(map[string]string{"AUTH_POLICY": "@" + empty})); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("an empty file: %v", err)
	}
}
