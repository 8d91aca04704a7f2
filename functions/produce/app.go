package produce

import (
	"context"

	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Build is the produce function's platform.BuildFunc: configuration from the environment, a
// warm broker client, the routes on one mux. It does not dial Kafka.
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	app, _, err := kafkadeps.Build(env, []authconfig.Option{authconfig.WithTC3()}, func(kd kafkadeps.Deps) (Deps, error) {
		return LoadDeps(env, Deps{Base: kd.Base})
	}, Register)
	return app, err
}
