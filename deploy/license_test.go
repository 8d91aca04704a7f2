package deploy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// apache2SHA256 is the SHA-256 of the Apache License 2.0 text as the ASF publishes it
// (https://www.apache.org/licenses/LICENSE-2.0.txt).
const apache2SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

// TestLicenceFiles: kafkafn can be used legally (issue 13, adoption): LICENSE is the
// unmodified Apache License 2.0, NOTICE names it, CHANGELOG.md follows Keep a Changelog
// with an Unreleased section, and CONTRIBUTING.md says how to run, test, bench and fuzz.
func TestLicenceFiles(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	sum := sha256.Sum256([]byte(read("LICENSE")))
	if got := hex.EncodeToString(sum[:]); got != apache2SHA256 {
		t.Errorf("LICENSE is not the Apache License 2.0 text as published (sha256 %s)", got)
	}
	for name, wants := range map[string][]string{
		"NOTICE":          {"Apache License, Version 2.0"},
		"CHANGELOG.md":    {"Keep a Changelog", "## [Unreleased]"},
		"CONTRIBUTING.md": {"scripts/run", "scripts/test", "scripts/bench", "scripts/fuzz", "## Layout"},
		"README.md":       {"[Apache License 2.0](LICENSE)"},
	} {
		text := read(name)
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
	}
}
