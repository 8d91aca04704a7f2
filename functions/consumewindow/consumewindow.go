package consumewindow

import (
	"net/http"
	"slices"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Routes is the consume-window function's public surface: reads by offset (HDInsight), by
// time window, and consumer-group windows with commits (each table beside its handler).
var Routes = slices.Concat(offsetRoutes, timeRoutes, groupRoutes)

var offsetRoutes = []httpio.Route{
	{Method: "GET", Path: "/v1/consumer/topics/{topic}/partitions/{partition}/offsets/{offset}", Name: "ConsumeFromOffset"},
}

// Deps is what the routes need.
type Deps struct {
	Broker *broker.Client
	Guard  *auth.Guard
	Limits config.Limits
	Groups config.Groups // consumer-group windows (group.go)
	Pull   PullDeps      // scheduled batch pulls (pull.go)
}

// LoadDeps reads the consume-specific configuration (group windows, scheduled pulls) for a binary started
// in env.
func LoadDeps(env platform.Env, base Deps) (Deps, error) {
	var err error
	if base.Groups, err = config.GroupsFromEnv(env.Getenv); err != nil {
		return Deps{}, err
	}
	if base.Pull, err = loadPull(env, base.Groups); err != nil {
		return Deps{}, err
	}
	return base, nil
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	mux.Handle(offsetRoutes[0].Pattern(), d.Guard.Wrap(auth.OpConsume, &byOffset{d}))
	registerTime(mux, d)
	registerGroups(mux, d)
}

// The response budget's per-request hold is what reads reserve their record data from.
var _ broker.Budget = (*httpio.Hold)(nil)
