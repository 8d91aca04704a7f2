// Command mkzip writes a zip archive whose entries keep their Unix file modes, so that
// `bootstrap`, `main`, `scf_bootstrap` and `handler` stay executable on Lambda, SCF and
// Azure whatever machine built them (the `zip` tool is not always installed, and archives
// made on Windows lose the exec bit). Entries are written in the order given, with a fixed
// modification time, so builds are reproducible.
//
//	go run ./scripts/mkzip -o dist/lambda/produce-arm64.zip bootstrap=build/produce/bootstrap
//
// Each argument is NAME=PATH (NAME is the entry name in the archive) or PATH (stored under
// its base name).
package main

import (
	"archive/zip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	out := flag.String("o", "", "the zip file to write")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mkzip -o out.zip NAME=PATH|PATH ...")
		os.Exit(2)
	}
	if err := write(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "mkzip:", err)
		os.Exit(1)
	}
}

// modTime is the fixed entry time: 2026-01-01T00:00:00Z.
var modTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func write(out string, args []string) (err error) {
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	zw := zip.NewWriter(f)
	seen := map[string]bool{}
	for _, arg := range args {
		name, path, ok := strings.Cut(arg, "=")
		if !ok {
			name, path = filepath.Base(arg), arg
		}
		name = filepath.ToSlash(name)
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
			return fmt.Errorf("bad entry name %q", name)
		}
		if seen[name] {
			return fmt.Errorf("duplicate entry %q", name)
		}
		seen[name] = true
		if err := add(zw, name, path); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func add(zw *zip.Writer, name, path string) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errors.New(path + " is not a regular file")
	}
	hdr, err := zip.FileInfoHeader(fi) // records the Unix mode (CreatorUnix)
	if err != nil {
		return err
	}
	hdr.Name = name
	hdr.Method = zip.Deflate
	hdr.Modified = modTime
	// Normalise permissions: executables 0755, everything else 0644.
	mode := os.FileMode(0o644)
	if fi.Mode().Perm()&0o111 != 0 {
		mode = 0o755
	}
	hdr.SetMode(mode)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, src)
	return err
}
