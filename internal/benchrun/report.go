package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is one measured row.
type Result struct {
	Section  string  `json:"section"`
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	P50ms    float64 `json:"p50_ms,omitempty"`
	P99ms    float64 `json:"p99_ms,omitempty"`
	Samples  int     `json:"samples,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`    // Value (or p50) against Baseline
	Baseline string  `json:"baseline,omitempty"` // the row Ratio compares with
	Target   string  `json:"target,omitempty"`
	Met      *bool   `json:"met,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPU       string `json:"cpu"`
	GoVersion string `json:"go"`
	Kernel    string `json:"kernel"`
	Broker    string `json:"broker"`
	Load      string `json:"load_average"` // /proc/loadavg at the start: other work on the machine skews results
	Date      string `json:"date"`
}

// Report is bench/results.json.
type Report struct {
	Machine Machine           `json:"machine"`
	Results []Result          `json:"results"`
	Notes   map[string]string `json:"notes,omitempty"`
}

func machine(brokers []string) Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
		Date: time.Now().UTC().Format(time.RFC3339), Broker: "kfake (in-process, 1 broker)"}
	if len(brokers) > 0 {
		m.Broker = "KAFKA_BROKERS=" + strings.Join(brokers, ",")
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

func (b *bench) add(r Result) {
	b.report.Results = append(b.report.Results, r)
	fmt.Fprintf(os.Stderr, "  %-58s %s\n", r.Name, formatValue(r))
}

func (b *bench) note(section, text string) {
	if b.report.Notes == nil {
		b.report.Notes = map[string]string{}
	}
	if prev := b.report.Notes[section]; prev != "" {
		text = prev + "; " + text
	}
	b.report.Notes[section] = text
}

func met(ok bool) *bool { return &ok }

func formatValue(r Result) string {
	switch r.Unit {
	case "bytes":
		return fmt.Sprintf("%.1f MB", r.Value/1e6)
	case "ms":
		return fmt.Sprintf("%.2f ms", r.Value)
	default:
		return fmt.Sprintf("%.0f %s", r.Value, r.Unit)
	}
}

func (b *bench) print(w io.Writer) {
	m := b.report.Machine
	fmt.Fprintf(w, "\nkafkafn benchmarks — %s/%s, %d CPUs (%s), %s, broker: %s, load average %s, %s\n\n",
		m.OS, m.Arch, m.CPUs, m.CPU, m.GoVersion, m.Broker, m.Load, m.Date)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "section\tcase\tvalue\tp50\tp99\tratio\ttarget\tmet")
	for _, r := range b.report.Results {
		p50, p99, ratio, ok := "", "", "", ""
		if r.Samples > 0 {
			p50, p99 = fmt.Sprintf("%.3f ms", r.P50ms), fmt.Sprintf("%.3f ms", r.P99ms)
		}
		if r.Ratio != 0 {
			ratio = fmt.Sprintf("%.2f× %s", r.Ratio, r.Baseline)
		}
		if r.Met != nil {
			ok = map[bool]string{true: "yes", false: "NO"}[*r.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Section, r.Name, formatValue(r), p50, p99, ratio, r.Target, ok)
	}
	_ = tw.Flush()
	printTargets(w, b.report.Results)
	keys := make([]string, 0, len(b.report.Notes))
	for k := range b.report.Notes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "note (%s): %s\n", k, b.report.Notes[k])
	}
}

func (b *bench) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(b.report, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// printTargets lists every row that has a target, met or missed, with its ratio (or value).
func printTargets(w io.Writer, results []Result) {
	var metN, missed int
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "\ntargets:")
	for _, r := range results {
		if r.Met == nil {
			continue
		}
		got := formatValue(r)
		if r.Ratio != 0 {
			got = fmt.Sprintf("%.2f× %s", r.Ratio, r.Baseline)
		}
		verdict := "met"
		if *r.Met {
			metN++
		} else {
			verdict, missed = "MISSED", missed+1
		}
		fmt.Fprintf(tw, "  %s: %s\t%s\t%s\t%s\n", r.Section, r.Name, got, r.Target, verdict)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d met, %d missed\n", metN, missed)
}
