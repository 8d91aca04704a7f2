package contract_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/platform/launch"
)

// binaries are the deployed binaries by the name they give launch.Start.
var binaries = []struct{ name, pkg string }{
	{"produce", "functions/produce/cmd/produce"},
	{"consume-window", "functions/consumewindow/cmd/consume-window"},
	{"list-topics", "functions/listtopics/cmd/list-topics"},
	{"token", "functions/token/cmd/token"},
	{"all", "functions/all"},
}

// runOnce runs bin with args and a bare environment and returns its stdout, stderr and exit code.
func runOnce(t *testing.T, bin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return stdout.String(), stderr.String(), 0
		case errors.As(err, &ee):
			return stdout.String(), stderr.String(), ee.ExitCode()
		default:
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%s %v did not exit: it started instead of answering the command line\n%s", bin, args, stderr.String())
	}
	return "", "", -1
}

// TestCommandLine drives every built binary with -version, --help and bad input.
func TestCommandLine(t *testing.T) {
	for _, b := range binaries {
		if !exists(b.pkg) {
			continue
		}
		bin := binary(t, b.pkg)
		t.Run(b.name+" -version prints the stamped version and exits 0", func(t *testing.T) {
			out, errOut, code := runOnce(t, bin, nil, "-version")
			if code != 0 || out != b.name+" "+stampedVersion+"\n" || errOut != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
		t.Run(b.name+" --help says what it is, how the platform is chosen and where configuration is documented", func(t *testing.T) {
			out, _, code := runOnce(t, bin, nil, "--help")
			for _, want := range []string{b.name + " " + stampedVersion + ": Apache Kafka over HTTP", "AWS_LAMBDA_RUNTIME_API",
				"_LAMBDA_SERVER_PORT", "FUNCTIONS_CUSTOMHANDLER_PORT", "ADDR", launch.DocsURL} {
				if !strings.Contains(out, want) {
					t.Errorf("--help lacks %q", want)
				}
			}
			if code != 0 {
				t.Errorf("exit %d", code)
			}
		})
		t.Run(b.name+" refuses an argument it does not know instead of starting", func(t *testing.T) {
			_, errOut, code := runOnce(t, bin, nil, "serve")
			if code == 0 || !strings.Contains(errOut, `unexpected argument "serve"`) || !strings.Contains(errOut, "-help") {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
		})
		t.Run(b.name+" with PORT=abc stops, naming PORT", func(t *testing.T) {
			_, errOut, code := runOnce(t, bin, []string{"PORT=abc"})
			if code == 0 || !strings.Contains(errOut, `PORT: "abc" is not a port number`) || strings.Contains(errOut, "lookup") {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
		})
	}
	if !exists("functions/listtopics/cmd/list-topics") {
		return
	}
	t.Run("the start log line and GET /v1/status carry the version", func(t *testing.T) {
		p, base := startLocal(t, binary(t, "functions/listtopics/cmd/list-topics"), "AUTH_INSECURE_DEV=true",
			"KAFKA_BROKERS=127.0.0.1:1", "KAFKA_DIAL_TIMEOUT=200ms", "REQUEST_TIMEOUT=2s")
		status, _, body := httpDo(t, "GET", base+"/v1/status", nil, nil)
		var st struct{ Status, Version string }
		if err := json.Unmarshal(body, &st); err != nil || status != 503 || st.Version != stampedVersion {
			t.Errorf("GET /v1/status with no broker: %d %s", status, body)
		}
		found := false
		for _, line := range strings.Split(p.out.String(), "\n") {
			var l struct{ Msg, Version string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "platform selected" {
				found = l.Version == stampedVersion
				break
			}
		}
		if !found {
			t.Errorf("no start line with version %s:\n%s", stampedVersion, p.out.String())
		}
	})
}
