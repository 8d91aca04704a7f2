package deploy_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBuildScript runs scripts/build and make as a release would (issue 13): artefacts are
// named with the version (`git describe` in a clone, `dev` in a copy without .git, as SAM
// and source tarballs have), stale output and the intermediate binaries are removed, the
// binaries report the version they are named with, and `make clean` removes dist/.
func TestBuildScript(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles every function twice")
	}
	// Only the amd64 Lambda zips: the host can run the binaries, and the test builds less.
	const arch = "--lambda-arch=amd64"

	t.Run("without .git the version is dev; stale output and dist/.build are removed; make clean removes dist", func(t *testing.T) {
		src := copyTree(t)
		stale := []string{"dist/lambda/produce-v0.0.1-arm64.zip", "dist/scf/old.zip", "dist/azure/kafkafn-azure-v0.0.1.zip",
			"dist/.build/linux-amd64/produce", "dist/scf/all-web/leftover"}
		for _, f := range stale {
			writeFile(t, filepath.Join(src, f), "stale")
		}
		run(t, src, []string{"VERSION="}, "scripts/build", arch)
		for _, f := range stale {
			if _, err := os.Stat(filepath.Join(src, f)); err == nil {
				t.Errorf("%s survived the build", f)
			}
		}
		if _, err := os.Stat(filepath.Join(src, "dist/.build")); !os.IsNotExist(err) {
			t.Errorf("dist/.build is left behind (%v)", err)
		}
		checkArtefacts(t, filepath.Join(src, "dist"), "dev")

		writeFile(t, filepath.Join(src, ".aws-sam/build/x"), "sam output")
		out := run(t, src, nil, "make", "clean")
		for _, d := range []string{"dist", ".aws-sam"} {
			if _, err := os.Stat(filepath.Join(src, d)); !os.IsNotExist(err) {
				t.Errorf("make clean left %s (%v)\n%s", d, err, out)
			}
		}
		if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
			t.Errorf("make clean removed more than its output: %v", err)
		}
	})

	t.Run("in a clone the version is git describe; --out writes elsewhere", func(t *testing.T) {
		want := strings.TrimSpace(run(t, root, nil, "git", "describe", "--tags", "--always", "--dirty"))
		out := filepath.Join(t.TempDir(), "out")
		run(t, root, []string{"VERSION="}, "scripts/build", arch, "--out", out)
		checkArtefacts(t, out, want)
	})
}

// checkArtefacts checks the artefacts under out are the full set, each named with version,
// and that the binaries in them print that version.
func checkArtefacts(t *testing.T, out, version string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "VERSION"))
	if err != nil || strings.TrimSpace(string(b)) != version {
		t.Errorf("dist/VERSION: %q %v, want %q", b, err, version)
	}
	var got []string
	for _, dir := range []string{"lambda", "scf", "azure"} {
		names, _ := filepath.Glob(filepath.Join(out, dir, "*.zip"))
		for _, n := range names {
			got = append(got, dir+"/"+filepath.Base(n))
		}
	}
	var want []string
	for _, f := range []string{"produce", "consume-window", "list-topics", "token"} {
		want = append(want, "lambda/"+f+"-"+version+"-amd64.zip", "scf/"+f+"-"+version+".zip", "scf/"+f+"-"+version+"-web.zip")
	}
	want = append(want, "scf/all-"+version+"-web.zip", "azure/kafkafn-azure-"+version+".zip")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("artefacts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for zipName, bin := range map[string]struct{ member, name string }{
		"lambda/produce-" + version + "-amd64.zip": {"bootstrap", "produce"},
		"scf/token-" + version + ".zip":            {"main", "token"},
		"azure/kafkafn-azure-" + version + ".zip":  {"handler", "all"},
	} {
		exe := extract(t, filepath.Join(out, zipName), bin.member)
		if got := strings.TrimSpace(run(t, out, nil, exe, "-version")); got != bin.name+" "+version {
			t.Errorf("%s %s -version: %q, want %q", zipName, bin.member, got, bin.name+" "+version)
		}
	}
}

// extract writes member of the zip at path to a temporary executable and returns its path.
func extract(t *testing.T, path, member string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != member {
			continue
		}
		if f.Mode()&0o111 == 0 {
			t.Errorf("%s: %s is not executable (%v)", path, member, f.Mode())
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		exe := filepath.Join(t.TempDir(), member)
		w, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return exe
	}
	t.Fatalf("%s has no %s", path, member)
	return ""
}

// copyTree copies the module's files (tracked and new, as the working tree has them) to a
// temporary directory without .git.
func copyTree(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	list := run(t, root, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	for _, f := range strings.Split(strings.TrimRight(list, "\x00"), "\x00") {
		st, err := os.Stat(filepath.Join(root, f))
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the working tree
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs name (a relative path is relative to dir) with args in dir (extra environment appended) and returns its stdout; it
// fails t with the combined output when the command fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s in %s: %v\n%s%s", name, strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
