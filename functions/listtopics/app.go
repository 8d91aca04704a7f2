package listtopics

import (
	"context"

	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Build is the listtopics function's platform.BuildFunc: configuration from the environment, a
// warm broker client, the routes on one mux. It does not dial Kafka.
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	app, _, err := kafkadeps.Build(env, nil, func(kd kafkadeps.Deps) (Deps, error) {
		return Deps{Base: kd.Base, Metrics: kd.Metrics}, nil
	}, Register)
	return app, err
}
