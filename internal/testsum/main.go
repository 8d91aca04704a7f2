// Command testsum reads `go test -json` on stdin and writes what a plain `go test` run
// shows (an "ok" line per package, the full output of failing tests and packages, build
// errors), then the slowest packages and the counts. scripts/test pipes its test phase
// through it:
//
//	go test -json ./... | go run ./internal/testsum -counts file
//
// Counts are of tests and subtests (Test events); a package that fails without a failing test
// (a build error, a panic in TestMain, a timeout) counts as one failure. With -counts it also
// writes "passed failed skipped" to that file, so scripts/test can print the final line. It
// exits 1 when anything failed. Hand-written: `go tool test2json` converts the other way only,
// and gotestsum (a dependency of its own) is more than a counter needs.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	counts := flag.String("counts", "", "write \"passed failed skipped\" to this file")
	flag.Parse()
	s := newSummary(os.Stdout)
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	s.finish()
	if *counts != "" {
		if err := os.WriteFile(*counts, fmt.Appendf(nil, "%d %d %d\n", s.passed, s.failed, s.skipped), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "testsum:", err)
			os.Exit(2)
		}
	}
	if s.failed > 0 {
		os.Exit(1)
	}
}
