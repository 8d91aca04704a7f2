// Package bintest is test support for the tests that build a kafkafn binary and run it as
// a platform runs it: the build (as scripts/build does it: static, -trimpath, the shipped
// tags), a free loopback address, the wait until the binary listens and the binary's
// resident memory (the benchmarks read it too). It imports none of
// kafkafn's functions, so a test inside a route's own package can use it.
package bintest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/buildinfo"
)

// BuildTo builds the main package pkg (as go build names it, relative to the test's
// directory) into dir and returns the binary's path; the binary is named after pkg's last
// element.
func BuildTo(dir, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	if pkg == "." {
		bin = filepath.Join(dir, "main")
	}
	cmd := exec.Command("go", "build", "-trimpath", "-tags", buildinfo.Tags, "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// Build is BuildTo a directory removed when t ends; it fails t when the build fails.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	bin, err := BuildTo(t.TempDir(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// FreeAddr returns a loopback address (host:port) nothing listened on a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return "127.0.0.1:" + loopback.FreePort(t)
}

// WaitListening waits up to 20 s for something to accept connections on addr; it fails t
// otherwise, with out (the binary's output; nil: none).
func WaitListening(t testing.TB, addr string, out fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
	}
	var output string
	if out != nil {
		output = ":\n" + out.String()
	}
	t.Fatalf("nothing listens on %s%s", addr, output)
}

// Memory returns the resident set size (VmRSS) of process pid and its peak (VmHWM) in
// bytes, read from Linux /proc.
func Memory(pid int) (rss, hwm int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			hwm = n << 10
		}
	}
	return rss, hwm, nil
}
