package deploy_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunScriptSeesEveryAuthScheme: scripts/run turns the dev mode on only when no scheme
// is configured. With API keys, OIDC issuers or the AWS authorizer configured it must leave
// it off: kafkafn refuses AUTH_INSECURE_DEV combined with any of them, so a newcomer
// following docs/auth-api-keys.md would get no server at all.
func TestRunScriptSeesEveryAuthScheme(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the all-routes binary")
	}
	for _, tc := range []struct{ env, name string }{
		{`AUTH_API_KEYS={"ci": {"sha256": "` + strings.Repeat("0", 64) + `"}}`, "AUTH_API_KEYS"},
		{`AUTH_OIDC=[{"issuer": "https://issuer.example", "audience": "kafkafn"}]`, "AUTH_OIDC"},
		{"AUTH_AWS_AUTHORIZER=true", "AUTH_AWS_AUTHORIZER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(root, "scripts", "run"), "-version")
			cmd.Env = append(cleanEnv(), tc.env)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			if !strings.Contains(string(out), "authentication configured ("+tc.name+")") || strings.Contains(string(out), "AUTH_INSECURE_DEV=true") {
				t.Errorf("scripts/run with %s:\n%s", tc.name, out)
			}
		})
	}
	t.Run("AUTH_AWS_AUTHORIZER=false configures nothing", func(t *testing.T) {
		cmd := exec.Command(filepath.Join(root, "scripts", "run"), "-version")
		cmd.Env = append(cleanEnv(), "AUTH_AWS_AUTHORIZER=false")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "no authentication configured") {
			t.Errorf("%v:\n%s", err, out)
		}
	})
}
