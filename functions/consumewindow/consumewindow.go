package consumewindow

import (
	"net/http"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config/groupsenv"
	"github.com/kafkafn/kafkafn/shared/groups"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Routes is the consume-window function's public surface, for the deploy descriptors.
var Routes = auth.Specs(table(Deps{}))

// table is the route table: reads by offset (HDInsight), by time window, and consumer-group
// windows with commits and lag. Register and Routes both read it.
//
// kafkafn never joins a group: the group routes read from the group's committed offsets and
// commit with generation -1, so there is no membership to lose while a function instance is
// frozen. Every group route needs consume on the topic and a grant on the consumer group:
// Guard.AllowGroup in the handler, once the names are validated. The commit and lag routes
// name their topic in the commit token or the query, so they are only Authenticated.
func table(d Deps) []auth.Route {
	return []auth.Route{
		{Route: httpio.Route{Method: "GET", Path: "/v1/consumer/topics/{topic}/partitions/{partition}/offsets/{offset}", Name: "ConsumeFromOffset"},
			Op: auth.OpConsume, Handle: (&byOffset{d}).serve},
		{Route: httpio.Route{Method: "GET", Path: "/v1/consumer/topics/{topic}/window", Name: "ConsumeTimeWindow"},
			Op: auth.OpConsume, Handle: (&byTime{d}).serve},
		{Route: httpio.Route{Method: "POST", Path: "/v1/consumer/groups/{group}/topics/{topic}/window", Name: "ConsumeGroupWindow"},
			Op: auth.OpConsume, Handle: (&groupWindow{d}).serve},
		{Route: httpio.Route{Method: "POST", Path: "/v1/consumer/groups/{group}/commit", Name: "CommitGroupOffsets"},
			Op: auth.Authenticated, Handle: (&groupCommit{d}).serve},
		{Route: httpio.Route{Method: "GET", Path: "/v1/consumer/groups/{group}/lag", Name: "GroupLag"},
			Op: auth.Authenticated, Handle: (&groupLag{d}).serve},
	}
}

// Deps is what the routes need.
type Deps struct {
	kafkadeps.Base               // the broker client, the guard, the limits
	Groups         groups.Config // consumer-group windows (group.go)
	Pull           PullDeps      // scheduled batch pulls (pull.go)
}

// LoadDeps reads the consume-specific configuration (group windows, scheduled pulls) for a binary started
// in env.
func LoadDeps(env platform.Env, base Deps) (Deps, error) {
	var err error
	if base.Groups, err = groupsenv.FromEnv(env.Getenv); err != nil {
		return Deps{}, err
	}
	if base.Pull, err = loadPull(env, base.Groups); err != nil {
		return Deps{}, err
	}
	return base, nil
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	// Deps built without LoadDeps get the defaults.
	if d.Groups.Reset == "" {
		d.Groups.Reset = groups.ResetEarliest
	}
	if d.Groups.CommitTokenTTL <= 0 {
		d.Groups.CommitTokenTTL = groups.DefaultCommitTokenTTL
	}
	auth.Register(mux, auth.Table{Routes: table(d), Guard: d.Guard,
		Timeout: d.Limits.RequestTimeout, Margin: d.Limits.DeadlineMargin,
		Checks: []httpio.PathCheck{{Name: "group", Check: broker.ValidateGroupID}, {Name: "topic", Check: broker.ValidateTopicName}}})
}

// The response budget's per-request hold is what reads reserve their record data from.
var _ broker.Budget = (*httpio.Hold)(nil)
