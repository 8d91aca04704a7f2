package tc3

// Config is the TC3 signature section: which SecretIds may sign and which public hosts a
// signature may name. shared/config/authenv fills it from the environment. The zero value
// means no credentials: TC3 is off.
type Config struct {
	// Keys (AUTH_TC3_CREDENTIALS, default none) maps each SecretId to its SecretKeys:
	// comma-separated secretId:secretKey pairs; a SecretId may appear twice (two active keys,
	// for rotation). The value may also be @/path/to/file holding the same list (commas or
	// newlines).
	Keys map[string][]string
	// PublicHosts (AUTH_TC3_PUBLIC_HOSTS, comma separated host[:port], default none) are hosts
	// clients may have signed besides the request's Host: the API gateway or custom domain in
	// front of the function, when it rewrites Host.
	PublicHosts []string
}

// Enabled reports whether any TC3 credentials are configured.
func (c Config) Enabled() bool { return len(c.Keys) > 0 }
