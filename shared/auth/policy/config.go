package policy

// Config is the raw authorisation policy (AUTH_POLICY: per topic and per consumer group),
// as shared/config/authenv reads it; Parse validates it. The zero value means no policy:
// Default applies.
type Config struct {
	// JSON is the policy document: AUTH_POLICY's value, or the contents of the file it names
	// with @/path/to/policy.json. Default empty (AUTH_POLICY unset).
	JSON []byte
	// Source says where JSON came from, for error messages: "AUTH_POLICY" or
	// "AUTH_POLICY (@/path)".
	Source string
}

// Set reports whether a policy was configured.
func (p Config) Set() bool { return len(p.JSON) > 0 }
