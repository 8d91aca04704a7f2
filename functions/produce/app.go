package produce

import (
	"context"
	"net/http"

	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Build is the produce function's platform.BuildFunc: configuration from the environment, a
// warm broker client, the routes on one mux. It does not dial Kafka.
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	return kafkadeps.Build(env, []authconfig.Option{authconfig.WithTC3()}, func(kd kafkadeps.Deps, mux *http.ServeMux) error {
		d, err := LoadDeps(env, Deps{Base: kd.Base})
		if err == nil {
			Register(mux, d)
		}
		return err
	})
}
