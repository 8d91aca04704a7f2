// Package envread holds the parsing helpers shared by shared/config and its per-section
// readers (kafkaenv, authenv, …): a Reader that reads typed values and collects one error per
// bad variable, and the hand-written name checks (match.go). It maps nothing itself.
package envread

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Reader accumulates errors while reading typed values, so a start-up failure lists every
// bad variable at once.
type Reader struct {
	// Getenv reads one variable; os.Getenv fits.
	Getenv func(string) string
	errs   []error
}

// New returns a Reader over getenv.
func New(getenv func(string) string) *Reader { return &Reader{Getenv: getenv} }

// Fail records an error for the variable name.
func (r *Reader) Fail(name, format string, args ...any) {
	r.errs = append(r.errs, Errorf(name, format, args...))
}

// Err joins every recorded error; nil when there is none.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// Failed reports whether any error was recorded.
func (r *Reader) Failed() bool { return len(r.errs) > 0 }

// Errorf is the error for one variable: "NAME: message".
func Errorf(name, format string, args ...any) error {
	return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
}

// Str reads a trimmed value, def when it is empty.
func (r *Reader) Str(name, def string) string {
	if v := strings.TrimSpace(r.Getenv(name)); v != "" {
		return v
	}
	return def
}

// Secret reads a value verbatim (passwords may have meaningful spaces).
func (r *Reader) Secret(name string) string { return r.Getenv(name) }

// List reads a comma-separated list, trimming each entry and dropping empty ones.
func (r *Reader) List(name string) []string {
	var out []string
	for _, p := range strings.Split(r.Getenv(name), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Boolean reads true or false, def when unset.
func (r *Reader) Boolean(name string, def bool) bool {
	v := strings.TrimSpace(r.Getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.Fail(name, "must be true or false, got %q", v)
		return def
	}
	return b
}

// Duration reads a duration between min and max, def when unset.
func (r *Reader) Duration(name string, def, min, max time.Duration) time.Duration {
	v := strings.TrimSpace(r.Getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.Fail(name, "must be a duration such as 500ms or 10s, got %q", v)
		return def
	}
	if d < min || d > max {
		r.Fail(name, "must be between %s and %s, got %s", min, max, d)
		return def
	}
	return d
}

// Integer reads an integer between min and max, def when unset.
func (r *Reader) Integer(name string, def, min, max int64) int64 {
	v := strings.TrimSpace(r.Getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		r.Fail(name, "must be an integer, got %q", v)
		return def
	}
	if n < min || n > max {
		r.Fail(name, "must be between %d and %d, got %d", min, max, n)
		return def
	}
	return n
}

// ReadFile reads a file named by a variable, for CA bundles and policy files.
func (r *Reader) ReadFile(name, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		r.Fail(name, "cannot read %s: %v", path, err)
		return nil
	}
	return b
}

// JSONValue reads a JSON variable, or the file it names with @/path.
func (r *Reader) JSONValue(name string) string {
	v := strings.TrimSpace(r.Getenv(name))
	if path, ok := strings.CutPrefix(v, "@"); ok {
		v = strings.TrimSpace(string(r.ReadFile(name, strings.TrimSpace(path))))
	}
	return v
}

// HTTPSOrigin reads an https origin (scheme and host, optional port, no path, query or user
// info) and returns it without a trailing slash.
func (r *Reader) HTTPSOrigin(name, def string) string {
	v := r.Str(name, "")
	if v == "" {
		return def
	}
	u, err := url.Parse(strings.TrimSuffix(v, "/"))
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		r.Fail(name, "must be an https URL such as %s, got %q", def, v)
	case u.Scheme != "https":
		r.Fail(name, "must use https, got %q", v)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		r.Fail(name, "must be an origin only (https://host[:port]) with no path, query or user info, got %q", v)
	default:
		return "https://" + strings.ToLower(u.Host)
	}
	return def
}

// Lower lower-cases every entry of s in place and returns it.
func Lower(s []string) []string {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	return s
}

// DecodeStrict decodes one JSON value into v, refusing unknown fields and trailing data.
func DecodeStrict(data string, v any) error {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}
