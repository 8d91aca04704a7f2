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
	return kafkadeps.Build(env, nil, func(kd kafkadeps.Deps, mux *http.ServeMux) error {
		Register(mux, Deps{Base: kd.Base, Metrics: kd.Metrics})
		return nil
	})
}
