package authconfig_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/auth/policy"
)

// TestDocumentedIdentityExamples: the AUTH_OIDC and AUTH_POLICY values the identity docs show
// in shell examples (VAR='…', possibly over several lines) are accepted at start-up as
// written. (docs/auth-policy.md is left out: it shows a refused policy on purpose.)
func TestDocumentedIdentityExamples(t *testing.T) {
	assignment := regexp.MustCompile(`(?s)\b(AUTH_OIDC|AUTH_POLICY)='([^']*)'`)
	seen := map[string]int{}
	for _, file := range []string{"../../../docs/auth-oidc.md", "../../../docs/platforms.md", "../../../docs/auth-aws.md", "../../../README.md"} {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range assignment.FindAllStringSubmatch(string(doc), -1) {
			name, value := m[1], m[2]
			seen[name]++
			switch name {
			case "AUTH_OIDC":
				if _, err := authconfig.Guard(envOf(map[string]string{name: value}, false), quiet); err != nil {
					t.Errorf("%s: %s: %v", file, name, err)
				}
			case "AUTH_POLICY":
				if _, err := policy.Parse(name, []byte(value)); err != nil {
					t.Errorf("%s: %v", file, err)
				}
			}
		}
	}
	if seen["AUTH_OIDC"] == 0 || seen["AUTH_POLICY"] < 2 {
		t.Fatalf("found %v examples; the docs' examples moved?", seen)
	}
}
