package contract_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/buildinfo"
)

var (
	binDir  string
	modRoot string
	builds  sync.Map // package path → func() (string, error)
)

func TestMain(m *testing.M) {
	code := func() int {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			fmt.Fprintln(os.Stderr, "go env GOMOD:", err)
			return 1
		}
		modRoot = filepath.Dir(strings.TrimSpace(string(out)))
		binDir, err = os.MkdirTemp("", "kafkafn-contract-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(binDir)
		return m.Run()
	}()
	os.Exit(code)
}

// stampedVersion is the version binary stamps into every binary, the way scripts/build does.
const stampedVersion = "v0.0.0-contract"

// binary builds the main package pkg (relative to the module root) once per test run, as
// scripts/build does (with the version stamped in), and returns the path of the executable.
func binary(t testing.TB, pkg string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and drives the real binaries: skipped with -short (scripts/test -short); scripts/test runs it")
	}
	f, _ := builds.LoadOrStore(pkg, sync.OnceValues(func() (string, error) {
		out := filepath.Join(binDir, strings.NewReplacer("/", "_", ".", "_").Replace(pkg))
		cmd := exec.Command("go", "build", "-trimpath", "-tags", buildinfo.Tags,
			"-ldflags", "-X "+buildinfo.VersionVar+"="+stampedVersion, "-o", out, "./"+pkg)
		cmd.Dir = modRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build ./%s: %v\n%s", pkg, err, b)
		}
		return out, nil
	}))
	path, err := f.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// exists reports whether the main package pkg exists yet (route packages land over time).
func exists(pkg string) bool {
	_, err := os.Stat(filepath.Join(modRoot, pkg, "main.go"))
	return err == nil
}

// proc is a running binary.
type proc struct {
	cmd  *exec.Cmd
	out  *logtest.Buffer
	done chan error
}

// start runs bin with exactly env (plus PATH), logs its output if the test fails, and stops
// it with SIGTERM when the test ends.
func start(t testing.TB, bin string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LOG_LEVEL=debug"}, env...)
	p := &proc{cmd: cmd, out: &logtest.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), p.out.String())
		}
	})
	return p
}

// stop sends SIGTERM and waits for the exit; it reports whether the process exited cleanly.
func (p *proc) stop(t testing.TB) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("%s did not stop on SIGTERM", p.cmd.Path)
		return <-p.done
	}
}

// exited reports the exit error if the process has ended.
func (p *proc) exited() (error, bool) {
	select {
	case err := <-p.done:
		p.done <- err
		return err, true
	default:
		return nil, false
	}
}

// startLocal runs bin (as start does) as a local server on a free port of 127.0.0.1 (ADDR)
// and waits until it listens; it returns the process and its base URL.
func startLocal(t testing.TB, bin string, env ...string) (*proc, string) {
	t.Helper()
	port := loopback.FreePort(t)
	p := start(t, bin, append(env, "ADDR=127.0.0.1:"+port)...)
	waitDial(t, p, "127.0.0.1:"+port)
	return p, "http://127.0.0.1:" + port
}

// waitDial waits until addr accepts connections (or the process dies).
func waitDial(t testing.TB, p *proc, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if err, done := p.exited(); done {
			t.Fatalf("the process exited before listening on %s: %v\n%s", addr, err, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// httpDo sends one request and returns the status, headers and body.
func httpDo(t testing.TB, method, url string, body []byte, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	resp, b := loopback.Do(t, method, url, body, header)
	return resp.StatusCode, resp.Header, b
}

// fixture reads a platform event fixture; path is relative to this package (the adapters'
// fixtures are shared: ../awslambda/testdata/…).
func fixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
