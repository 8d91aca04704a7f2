// Package config reads kafkafn's configuration from the environment, once, at start-up.
//
// Every variable kafkafn understands is read here and nowhere else (platform-owned variables
// such as AWS_LAMBDA_RUNTIME_API are read only by shared/platform). Each section has its own
// FromEnv function, so a binary loads and validates only the sections it uses; an invalid
// value is an error that names the variable. The packages that use a setting own its type
// (httpio.Limits, httpio.Ops; broker.Config, filled from Kafka by kafkaenv because broker
// links kafka-go); config only maps variables onto them. It imports neither kafka-go nor MSAL.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Getenv reads one variable; os.Getenv fits.
type Getenv func(string) string

// reader accumulates errors while reading typed values, so a start-up failure lists every
// bad variable at once.
type reader struct {
	getenv Getenv
	errs   []error
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (r *reader) err() error { return errors.Join(r.errs...) }

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// secret reads a value verbatim (passwords may have meaningful spaces).
func (r *reader) secret(name string) string { return r.getenv(name) }

func (r *reader) list(name string) []string {
	var out []string
	for _, p := range strings.Split(r.getenv(name), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (r *reader) boolean(name string, def bool) bool {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "must be true or false, got %q", v)
		return def
	}
	return b
}

func (r *reader) duration(name string, def, min, max time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, "must be a duration such as 500ms or 10s, got %q", v)
		return def
	}
	if d < min || d > max {
		r.fail(name, "must be between %s and %s, got %s", min, max, d)
		return def
	}
	return d
}

func (r *reader) integer(name string, def, min, max int64) int64 {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		r.fail(name, "must be an integer, got %q", v)
		return def
	}
	if n < min || n > max {
		r.fail(name, "must be between %d and %d, got %d", min, max, n)
		return def
	}
	return n
}

// readFile reads a file named by a variable, for CA bundles and policy files.
func (r *reader) readFile(name, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		r.fail(name, "cannot read %s: %v", path, err)
		return nil
	}
	return b
}
