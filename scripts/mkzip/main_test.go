package main

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap-build")
	cfg := filepath.Join(dir, "host.json")
	if err := os.WriteFile(bin, []byte("\x7fELF binary"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(`{"version":"2.0"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fn.zip")
	if err := write(out, []string{"bootstrap=" + bin, cfg, "Timer/function.json=" + cfg}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := []struct {
		name string
		mode os.FileMode
		body string
	}{
		{"bootstrap", 0o755, "\x7fELF binary"},
		{"host.json", 0o644, `{"version":"2.0"}`},
		{"Timer/function.json", 0o644, `{"version":"2.0"}`},
	}
	if len(zr.File) != len(want) {
		t.Fatalf("%d entries", len(zr.File))
	}
	for i, w := range want {
		f := zr.File[i]
		t.Run(w.name+" keeps its name, mode and content", func(t *testing.T) {
			if f.Name != w.name || f.Mode().Perm() != w.mode || !f.Modified.Equal(modTime) {
				t.Fatalf("%s %v %v", f.Name, f.Mode(), f.Modified)
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if b, _ := io.ReadAll(rc); string(b) != w.body {
				t.Fatalf("body %q", b)
			}
		})
	}
	for _, tc := range []struct{ name, arg string }{
		{"a duplicate entry is refused", "bootstrap=" + bin},
		{"an absolute entry name is refused", "/etc/passwd=" + cfg},
		{"an entry name with .. is refused", "../x=" + cfg},
		{"a directory is refused", "d=" + dir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{tc.arg}
			if tc.name == "a duplicate entry is refused" {
				args = append(args, tc.arg)
			}
			if err := write(filepath.Join(dir, "bad.zip"), args); err == nil {
				t.Fatal("no error")
			}
			if _, err := os.Stat(filepath.Join(dir, "bad.zip")); err == nil {
				t.Fatal("a failed write left an archive behind")
			}
		})
	}
}
