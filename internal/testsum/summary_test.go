package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goTestJSON runs `go test -json` on a throw-away module with the given files and returns
// its output: a real stream, as scripts/test pipes it.
func goTestJSON(t *testing.T, files map[string]string) []byte {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	out, _ := cmd.Output() // failing tests exit non-zero; the stream is what matters
	return out
}

func TestSummary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a scratch module")
	}
	stream := goTestJSON(t, map[string]string{
		"good/good_test.go": `package good
import "testing"
func TestA(t *testing.T) {}
func TestB(t *testing.T) {
	t.Run("one", func(t *testing.T) {})
	t.Run("two", func(t *testing.T) { t.Skip("not today") })
}
`,
		"bad/bad_test.go": `package bad
import "testing"
func TestOK(t *testing.T) {}
func TestBroken(t *testing.T) {
	t.Run("sub", func(t *testing.T) { t.Log("the evidence"); t.Fatal("boom") })
}
`,
		"nobuild/nobuild_test.go": `package nobuild
import "testing"
func TestX(t *testing.T) { undefined() }
`,
		"notests/notests.go": "package notests\n",
	})
	var out bytes.Buffer
	s := newSummary(&out)
	if err := s.read(bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	s.finish()
	text := out.String()
	// Passed: good.TestA, good.TestB, good.TestB/one, bad.TestOK. Failed: bad.TestBroken/sub,
	// bad.TestBroken, and the package that does not build. Skipped: good.TestB/two.
	if s.passed != 4 || s.failed != 3 || s.skipped != 1 {
		t.Errorf("passed %d, failed %d, skipped %d; output:\n%s", s.passed, s.failed, s.skipped, text)
	}
	for _, want := range []string{
		"ok  \texample.com/m/good", "the evidence", "boom", "FAIL\texample.com/m/bad", "undefined: undefined",
		"FAILED: example.com/m/bad TestBroken/sub", "FAILED: example.com/m/nobuild (build failed)",
		"slowest packages:", "slowest tests:", "example.com/m/bad TestBroken", "tests: 4 passed, 3 failed, 1 skipped\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "=== RUN   TestA") {
		t.Errorf("passing tests' output is shown:\n%s", text)
	}
}
