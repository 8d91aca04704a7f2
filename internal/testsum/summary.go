package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action      string
	Package     string
	ImportPath  string // build-output, build-fail
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

type key struct{ pkg, test string }

type summary struct {
	w                       io.Writer
	out                     map[key][]string // buffered output per package and test
	pkgFailedTests          map[string]int
	pkgTime                 map[string]float64
	testTime                map[string]float64 // top-level tests, "package Test"
	passed, failed, skipped int
	failures                []string // what failed, for the recap
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, out: map[key][]string{}, pkgFailedTests: map[string]int{}, pkgTime: map[string]float64{}, testTime: map[string]float64{}}
}

// read consumes the whole stream. Lines that are not JSON events are copied through.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil || ev.Action == "" {
			fmt.Fprintf(s.w, "%s\n", line)
			continue
		}
		s.handle(ev)
	}
	return sc.Err()
}

func (s *summary) handle(ev event) {
	k := key{ev.Package, ev.Test}
	switch ev.Action {
	case "build-output":
		fmt.Fprint(s.w, ev.Output)
	case "output":
		s.out[k] = append(s.out[k], ev.Output)
	case "pass", "skip":
		if ev.Test != "" && !strings.Contains(ev.Test, "/") {
			s.testTime[ev.Package+" "+ev.Test] = ev.Elapsed
		}
		if ev.Test != "" {
			if ev.Action == "pass" {
				s.passed++
			} else {
				s.skipped++
			}
		} else {
			s.pkgTime[ev.Package] = ev.Elapsed
			for _, l := range s.out[k] {
				if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "?") {
					fmt.Fprint(s.w, l)
				}
			}
		}
		delete(s.out, k)
	case "fail":
		for _, l := range s.out[k] {
			fmt.Fprint(s.w, l)
		}
		delete(s.out, k)
		if ev.Test != "" {
			if !strings.Contains(ev.Test, "/") {
				s.testTime[ev.Package+" "+ev.Test] = ev.Elapsed
			}
			s.failed++
			s.pkgFailedTests[ev.Package]++
			s.failures = append(s.failures, ev.Package+" "+ev.Test)
			return
		}
		s.pkgTime[ev.Package] = ev.Elapsed
		if s.pkgFailedTests[ev.Package] == 0 {
			s.failed++
			why := "the package failed outside any test"
			if ev.FailedBuild != "" {
				why = "build failed"
			}
			s.failures = append(s.failures, ev.Package+" ("+why+")")
		}
	}
}

// finish prints output of tests that never ended (a crash), the slowest packages and the
// counts.
func (s *summary) finish() {
	keys := make([]key, 0, len(s.out))
	for k := range s.out {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].pkg+"\x00"+keys[i].test < keys[j].pkg+"\x00"+keys[j].test })
	for _, k := range keys {
		for _, l := range s.out[k] {
			fmt.Fprint(s.w, l)
		}
	}
	slowest(s.w, "slowest packages:", s.pkgTime)
	slowest(s.w, "slowest tests:", s.testTime)
	for _, f := range s.failures {
		fmt.Fprintln(s.w, "FAILED:", f)
	}
	fmt.Fprintf(s.w, "tests: %d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
}

// slowest prints the five longest entries of times.
func slowest(w io.Writer, title string, times map[string]float64) {
	type entry struct {
		name string
		t    float64
	}
	var all []entry
	for n, t := range times {
		all = append(all, entry{n, t})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].t > all[j].t || (all[i].t == all[j].t && all[i].name < all[j].name) })
	if len(all) > 5 {
		all = all[:5]
	}
	if len(all) == 0 {
		return
	}
	fmt.Fprintln(w, title)
	for _, e := range all {
		fmt.Fprintf(w, "  %8s  %s\n", time.Duration(e.t*float64(time.Second)).Round(100*time.Millisecond), e.name)
	}
}
