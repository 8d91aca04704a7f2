package listtopics

import (
	"context"
	"net/http"

	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Build is the listtopics function's platform.BuildFunc: configuration from the environment, a
// warm broker client, the routes on one mux. It does not dial Kafka.
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	d, err := kafkadeps.Load(env, nil)
	if err != nil {
		return platform.App{}, err
	}
	mux := http.NewServeMux()
	Register(mux, Deps{Base: d.Base, Metrics: d.Metrics})
	return d.App(env, mux), nil
}
