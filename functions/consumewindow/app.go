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
	kd, err := kafkadeps.Load(env, nil)
	if err != nil {
		return platform.App{}, err
	}
	d, err := LoadDeps(env, Deps{Base: kd.Base})
	if err != nil {
		return platform.App{}, err
	}
	mux := http.NewServeMux()
	Register(mux, d)
	app := kd.App(env, mux, httpio.WithResponseBudget(kd.Limits))
	app.Timer = Timer(d)
	return app, nil
}
