package consumewindow

import (
	"context"

	"github.com/kafkafn/kafkafn/shared/platform"
)

// PullDeps configures scheduled batch pulls. Filled in by the windows issue.
type PullDeps struct{}

func loadPull(platform.Env) (PullDeps, error) { return PullDeps{}, nil }

func timer(Deps) func(context.Context, platform.TimerEvent) error { return nil }
