package consumewindow

import (
	"net/http"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// Routes is the consume-window function's public surface.
var Routes = []httpio.Route{
	{Method: "GET", Path: "/v1/consumer/topics/{topic}/partitions/{partition}/offsets/{offset}", Name: "ConsumeFromOffset"},
}

// Deps is what the routes need.
type Deps struct {
	Broker *broker.Client
	Guard  *auth.Guard
	Limits config.Limits
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	mux.Handle(Routes[0].Pattern(), d.Guard.Wrap(auth.OpConsume, &byOffset{d}))
}
