// Package metricstest checks metrics output strictly, for tests: ParsePrometheus reads the
// Prometheus text exposition format 0.0.4 and fails on anything a Prometheus server would
// refuse (and on a few things it merely frowns on); ParseEMF checks a CloudWatch Embedded
// Metric Format line against the specification's structure and limits.
//
// Design note: prometheus/common's expfmt parser would do the first job, but adding it (even
// for tests) upgrades golang.org/x/text and google/uuid, which the binaries link; this
// parser follows the format document (prometheus/docs exposition_formats.md) instead.
package metricstest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Sample is one sample line.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Family is one metric family: its HELP, TYPE and samples in order.
type Family struct {
	Name, Help, Type string
	Samples          []Sample
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// ParsePrometheus parses text strictly: every line ends in "\n"; HELP and TYPE come once per
// family and before its samples; a family's lines are contiguous; sample names belong to
// the family (histograms: _bucket, _sum, _count); label values are properly escaped; no
// duplicate series; histogram buckets are cumulative, ascending, end with le="+Inf" equal
// to _count.
func ParsePrometheus(text string) (map[string]*Family, error) {
	if text == "" || !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("the exposition must be non-empty and end with a newline")
	}
	fams := map[string]*Family{}
	var cur *Family
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		ln := i + 1
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "# HELP "), strings.HasPrefix(line, "# TYPE "):
			kind := line[2:6]
			rest := line[7:]
			name, arg, _ := strings.Cut(rest, " ")
			if !metricName.MatchString(name) {
				return nil, fmt.Errorf("line %d: bad metric name %q", ln, name)
			}
			f := fams[name]
			if f == nil {
				if cur != nil && cur.Name == name {
					f = cur
				} else {
					f = &Family{Name: name}
					fams[name] = f
				}
			} else if f != cur {
				return nil, fmt.Errorf("line %d: family %s is not contiguous", ln, name)
			}
			if len(f.Samples) > 0 {
				return nil, fmt.Errorf("line %d: %s after samples of %s", ln, kind, name)
			}
			if kind == "HELP" {
				if f.Help != "" {
					return nil, fmt.Errorf("line %d: second HELP for %s", ln, name)
				}
				if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(arg, `\\`, ""), `\n`, ""), `\`) {
					return nil, fmt.Errorf("line %d: bad escape in HELP", ln)
				}
				f.Help = arg
			} else {
				if f.Type != "" {
					return nil, fmt.Errorf("line %d: second TYPE for %s", ln, name)
				}
				switch arg {
				case "counter", "gauge", "histogram", "summary", "untyped":
				default:
					return nil, fmt.Errorf("line %d: unknown type %q", ln, arg)
				}
				f.Type = arg
			}
			cur = f
		case strings.HasPrefix(line, "#"):
			continue // a comment
		default:
			s, err := parseSample(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", ln, err)
			}
			if cur == nil || !belongs(cur, s.Name) {
				return nil, fmt.Errorf("line %d: sample %s outside its family (TYPE must come first)", ln, s.Name)
			}
			key := seriesKey(s)
			if seen[key] {
				return nil, fmt.Errorf("line %d: duplicate series %s", ln, key)
			}
			seen[key] = true
			cur.Samples = append(cur.Samples, s)
		}
	}
	for _, f := range fams {
		if f.Type == "histogram" {
			if err := checkHistogram(f); err != nil {
				return nil, err
			}
		}
		if f.Type == "counter" {
			for _, s := range f.Samples {
				if s.Value < 0 || math.IsNaN(s.Value) {
					return nil, fmt.Errorf("counter %s is %v", s.Name, s.Value)
				}
			}
		}
	}
	return fams, nil
}

func belongs(f *Family, sample string) bool {
	if f.Type == "histogram" {
		return sample == f.Name+"_bucket" || sample == f.Name+"_sum" || sample == f.Name+"_count"
	}
	if f.Type == "summary" {
		return sample == f.Name || sample == f.Name+"_sum" || sample == f.Name+"_count"
	}
	return sample == f.Name
}

func seriesKey(s Sample) string {
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(s.Name)
	for _, k := range keys {
		b.WriteString("|" + k + "=" + s.Labels[k])
	}
	return b.String()
}

func parseSample(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return s, fmt.Errorf("no value in %q", line)
	}
	s.Name = line[:i]
	if !metricName.MatchString(s.Name) {
		return s, fmt.Errorf("bad metric name %q", s.Name)
	}
	rest := line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 || len(rest) < eq+2 || rest[eq+1] != '"' {
				return s, fmt.Errorf("bad label in %q", line)
			}
			name := rest[:eq]
			if !labelName.MatchString(name) {
				return s, fmt.Errorf("bad label name %q", name)
			}
			rest = rest[eq+2:]
			var val strings.Builder
			closed := false
			for j := 0; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' {
					if j+1 >= len(rest) {
						return s, fmt.Errorf("dangling escape")
					}
					switch rest[j+1] {
					case '\\':
						val.WriteByte('\\')
					case '"':
						val.WriteByte('"')
					case 'n':
						val.WriteByte('\n')
					default:
						return s, fmt.Errorf("bad escape \\%c", rest[j+1])
					}
					j++
					continue
				}
				if c == '"' {
					rest = rest[j+1:]
					closed = true
					break
				}
				if c == '\n' {
					return s, fmt.Errorf("raw newline in a label value")
				}
				val.WriteByte(c)
			}
			if !closed {
				return s, fmt.Errorf("unterminated label value")
			}
			if _, dup := s.Labels[name]; dup {
				return s, fmt.Errorf("label %s twice", name)
			}
			s.Labels[name] = val.String()
			rest = strings.TrimPrefix(rest, ",")
		}
	}
	if !strings.HasPrefix(rest, " ") {
		return s, fmt.Errorf("no space before the value in %q", line)
	}
	fields := strings.Split(rest[1:], " ")
	if len(fields) < 1 || len(fields) > 2 {
		return s, fmt.Errorf("value and optional timestamp expected in %q", line)
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, err
	}
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return s, fmt.Errorf("bad timestamp %q", fields[1])
		}
	}
	s.Value = v
	return s, nil
}

func parseValue(v string) (float64, error) {
	switch v {
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || strings.ContainsAny(v, "_xXpP") {
		return 0, fmt.Errorf("bad value %q", v)
	}
	return f, nil
}

func checkHistogram(f *Family) error {
	type series struct {
		les    []float64
		counts []float64
		count  float64
		hasSum bool
		hasCnt bool
	}
	by := map[string]*series{}
	get := func(s Sample) *series {
		l := map[string]string{}
		for k, v := range s.Labels {
			if k != "le" {
				l[k] = v
			}
		}
		key := seriesKey(Sample{Labels: l})
		if by[key] == nil {
			by[key] = &series{}
		}
		return by[key]
	}
	for _, s := range f.Samples {
		h := get(s)
		switch s.Name {
		case f.Name + "_bucket":
			le, ok := s.Labels["le"]
			if !ok {
				return fmt.Errorf("%s: bucket without le", f.Name)
			}
			bound, err := parseValue(le)
			if err != nil {
				return fmt.Errorf("%s: bad le %q", f.Name, le)
			}
			if n := len(h.les); n > 0 && (bound <= h.les[n-1] || s.Value < h.counts[n-1]) {
				return fmt.Errorf("%s: buckets not ascending and cumulative at le=%s", f.Name, le)
			}
			h.les = append(h.les, bound)
			h.counts = append(h.counts, s.Value)
		case f.Name + "_sum":
			h.hasSum = true
		case f.Name + "_count":
			h.hasCnt, h.count = true, s.Value
		}
	}
	for key, h := range by {
		n := len(h.les)
		if n == 0 || !math.IsInf(h.les[n-1], 1) {
			return fmt.Errorf("%s %s: no le=\"+Inf\" bucket", f.Name, key)
		}
		if !h.hasSum || !h.hasCnt || h.counts[n-1] != h.count {
			return fmt.Errorf("%s %s: _sum/_count missing or +Inf bucket %v != _count %v", f.Name, key, h.counts[n-1], h.count)
		}
	}
	return nil
}

// EMF is a parsed Embedded Metric Format line: the root members and the directives.
type EMF struct {
	Root       map[string]any
	Timestamp  int64
	Directives []Directive
}

// Directive is one MetricDirective.
type Directive struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []struct {
		Name              string
		Unit              string
		StorageResolution int
	}
}

var cloudWatchUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true,
	"Megabits": true, "Gigabits": true, "Terabits": true, "Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// ParseEMF checks one line against the EMF specification: a single JSON object; _aws with a
// millisecond Timestamp and CloudWatchMetrics; each directive with a Namespace, at most 100
// metrics and dimension sets of at most 30 keys; every dimension a root string member of at
// most 1024 characters; every metric a root number (or array of at most 100 numbers) with a
// CloudWatch unit.
func ParseEMF(line string) (*EMF, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON object")
	}
	raw, err := json.Marshal(root["_aws"])
	if err != nil || root["_aws"] == nil {
		return nil, fmt.Errorf("no _aws member")
	}
	var aws struct {
		Timestamp         *int64
		CloudWatchMetrics []Directive
	}
	if err := json.Unmarshal(raw, &aws); err != nil || aws.Timestamp == nil || aws.CloudWatchMetrics == nil {
		return nil, fmt.Errorf("_aws needs a numeric Timestamp and CloudWatchMetrics: %s", raw)
	}
	if *aws.Timestamp < 1e12 {
		return nil, fmt.Errorf("_aws.Timestamp %d is not in milliseconds", *aws.Timestamp)
	}
	for _, d := range aws.CloudWatchMetrics {
		if d.Namespace == "" || len(d.Namespace) > 255 {
			return nil, fmt.Errorf("bad Namespace %q", d.Namespace)
		}
		if len(d.Metrics) == 0 || len(d.Metrics) > 100 {
			return nil, fmt.Errorf("%d metrics in a directive (1 to 100)", len(d.Metrics))
		}
		for _, set := range d.Dimensions {
			if len(set) > 30 {
				return nil, fmt.Errorf("a dimension set of %d keys (at most 30)", len(set))
			}
			for _, k := range set {
				v, ok := root[k].(string)
				if !ok || len(v) == 0 || len(v) > 1024 {
					return nil, fmt.Errorf("dimension %s is not a root string of 1 to 1024 characters", k)
				}
			}
		}
		for _, m := range d.Metrics {
			if m.Unit != "" && !cloudWatchUnits[m.Unit] {
				return nil, fmt.Errorf("metric %s: unit %q is not a CloudWatch unit", m.Name, m.Unit)
			}
			if m.StorageResolution != 0 && m.StorageResolution != 1 && m.StorageResolution != 60 {
				return nil, fmt.Errorf("metric %s: StorageResolution %d", m.Name, m.StorageResolution)
			}
			switch v := root[m.Name].(type) {
			case json.Number:
			case []any:
				if len(v) == 0 || len(v) > 100 {
					return nil, fmt.Errorf("metric %s: %d values (1 to 100)", m.Name, len(v))
				}
				for _, x := range v {
					if _, ok := x.(json.Number); !ok {
						return nil, fmt.Errorf("metric %s: a value is not a number", m.Name)
					}
				}
			default:
				return nil, fmt.Errorf("declared metric %s has no numeric root member", m.Name)
			}
		}
	}
	return &EMF{Root: root, Timestamp: *aws.Timestamp, Directives: aws.CloudWatchMetrics}, nil
}

// Number returns root member name as a float64 (0 when absent).
func (e *EMF) Number(name string) float64 {
	n, _ := e.Root[name].(json.Number)
	f, _ := n.Float64()
	return f
}
