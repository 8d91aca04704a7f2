// Package authconfig builds the auth.Guard that protects the Kafka routes from the
// environment. It is secure by default: with no scheme configured, start-up fails and says
// which variables to set; the insecure dev mode is refused unless the server listens only on
// loopback.
package authconfig

import (
	"errors"
	"log/slog"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// ErrNoAuth is returned when no authentication scheme is configured.
var ErrNoAuth = errors.New("authconfig: no authentication configured: set AUTH_ENTRA_TENANT_ID and AUTH_ENTRA_AUDIENCE " +
	"(Entra ID bearer tokens), or AUTH_INSECURE_DEV=true for a local server on loopback only")

// Guard builds the Guard for a binary started in env. extra are authenticators the binary
// adds for its own routes (none yet); they count as configured schemes.
func Guard(env platform.Env, extra ...auth.Authenticator) (*auth.Guard, error) {
	ac, err := config.AuthFromEnv(env.Getenv)
	if err != nil {
		return nil, err
	}
	if ac.InsecureDev {
		if !env.LoopbackOnly {
			return nil, errors.New("AUTH_INSECURE_DEV: refused: the insecure dev mode needs a local server listening on loopback only " +
				"(platform " + env.Platform + "); configure real authentication instead")
		}
		slog.Warn("AUTH_INSECURE_DEV=true: every route is OPEN without credentials; loopback only, never deploy this")
		return auth.NewDevGuard(), nil
	}
	var authenticators []auth.Authenticator
	authenticators = append(authenticators, extra...)
	if len(authenticators) == 0 {
		return nil, ErrNoAuth
	}
	return auth.NewGuard(auth.AllowAll{}, authenticators...), nil
}
