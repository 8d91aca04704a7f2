package consumewindow

import (
	"context"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Build is the consume-window function's platform.BuildFunc: configuration from the
// environment, a warm broker client, the routes on one mux and the timer entry point. It
// does not dial Kafka.
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	app, d, err := kafkadeps.Build(env, nil, func(kd kafkadeps.Deps) (Deps, error) {
		return LoadDeps(env, Deps{Base: kd.Base})
	}, Register, httpio.WithResponseBudget)
	if err != nil {
		return platform.App{}, err
	}
	app.Timer = Timer(d)
	return app, nil
}
