// Command benchrun is scripts/bench: every kafkafn performance comparison in one run,
// against one broker (an in-process kfake, or the cluster in KAFKA_BROKERS), printed as a
// table with ratios and written to bench/results.json.
//
// Design note: this program imports segmentio/kafka-go directly, which no product package
// but shared/broker may do: the raw kafka-go client and the "naive" per-call client are the
// baselines kafkafn is measured against.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	flag.DurationVar(&o.caseTime, "time", 2*time.Second, "measuring time per case (after warm-up)")
	flag.IntVar(&o.coldRuns, "cold-runs", 10, "cold starts per binary")
	flag.StringVar(&o.out, "out", "bench/results.json", "JSON results file")
	flag.StringVar(&o.only, "only", "", "comma-separated sections to run (produce,peer,rate,naive,consume,cold,size,memory); empty: all")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	o.brokers = splitComma(os.Getenv("KAFKA_BROKERS"))

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	b, err := newBench(ctx, o)
	if err != nil {
		return err
	}
	defer b.close()
	sections := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"produce", b.produceThroughput},
		{"peer", b.peerProduce},
		{"rate", b.requestRate},
		{"naive", b.warmVsNaive},
		{"consume", b.consumeWindow},
		{"cold", b.coldStart},
		{"size", b.binarySizes},
		{"memory", b.memory},
	}
	for _, s := range sections {
		if o.only != "" && !contains(splitComma(o.only), s.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s...\n", s.name)
		if err := s.fn(ctx); err != nil {
			b.note(s.name, "error: "+err.Error())
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", s.name, err)
		}
	}
	b.print(os.Stdout)
	return b.write(o.out)
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
