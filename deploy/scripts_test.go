package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunScript runs scripts/run as a newcomer would (with -version, so the binary it builds
// exits at once) and checks what it says about authentication.
func TestRunScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the all-routes binary")
	}
	tests := []struct {
		name    string
		env     []string
		want    []string
		notWant []string
	}{
		{"no authentication: the dev mode, said loudly", nil,
			[]string{"no authentication configured: setting AUTH_INSECURE_DEV=true"}, nil},
		{"webhook sources are not called no authentication", []string{`WEBHOOK_SECRETS={"b":{"scheme":"standard","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","topics":["t"]}}`},
			[]string{"webhook sources configured (WEBHOOK_SECRETS)", "setting AUTH_INSECURE_DEV=true"}, []string{"no authentication configured"}},
		{"Entra ID configured: no dev mode", []string{"AUTH_ENTRA_TENANT_ID=contoso.onmicrosoft.com"},
			[]string{"authentication configured (AUTH_ENTRA_TENANT_ID)"}, []string{"AUTH_INSECURE_DEV=true", "no authentication"}},
		{"a policy alone: no dev mode (it cannot be combined with one)", []string{"AUTH_POLICY={}"},
			[]string{"authentication configured (AUTH_POLICY)"}, []string{"AUTH_INSECURE_DEV=true"}},
		{"an explicit AUTH_INSECURE_DEV is left alone", []string{"AUTH_INSECURE_DEV=false"},
			nil, []string{"AUTH_INSECURE_DEV=true", "authentication configured"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(root, "scripts", "run"), "-version")
			cmd.Env = append(cleanEnv(), tt.env...)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "all dev") || !strings.Contains(string(out), "building the all-routes binary") {
				t.Fatalf("%v:\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(string(out), w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// cleanEnv is the test's environment without the variables scripts/run looks at.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTH_") && !strings.HasPrefix(kv, "WEBHOOK_") {
			env = append(env, kv)
		}
	}
	return env
}
