package config

// Auth is the common authentication switch. Scheme-specific settings (Entra ID, TC3, the
// policy) are read by their own FromEnv functions.
type Auth struct {
	// InsecureDev (AUTH_INSECURE_DEV=true) opens every route without credentials. It is
	// refused unless the server listens only on loopback.
	InsecureDev bool
}

// AuthFromEnv reads the common auth switch.
func AuthFromEnv(getenv Getenv) (Auth, error) {
	r := &reader{getenv: getenv}
	a := Auth{InsecureDev: r.boolean("AUTH_INSECURE_DEV", false)}
	return a, r.err()
}
