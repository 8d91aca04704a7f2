package consumewindow

import (
	"context"
	"net/http"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Build is the consume-window function's platform.BuildFunc: configuration from the
// environment, a warm broker client, the routes on one mux and the timer entry point. It
// does not dial Kafka.
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	var d Deps
	app, err := kafkadeps.Build(env, nil, func(kd kafkadeps.Deps, mux *http.ServeMux) error {
		var err error
		if d, err = LoadDeps(env, Deps{Base: kd.Base}); err == nil {
			Register(mux, d)
		}
		return err
	}, httpio.WithResponseBudget)
	if err != nil {
		return platform.App{}, err
	}
	app.Timer = Timer(d)
	return app, nil
}
