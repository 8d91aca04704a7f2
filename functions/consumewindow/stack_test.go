package consumewindow_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/internal/harness"
)

// startEnv starts the shipped consume-window Build through the harness (harness.StartDev)
// and returns the route tests' Env over it.
func startEnv(t testing.TB, env map[string]string, opts ...kfake.Opt) *consumewindow.Env {
	t.Helper()
	s := harness.StartDev(t, harness.ConsumeWindow, env, opts...)
	return consumewindow.NewEnv(s.Cluster, s.Broker, s.URL, s.Client())
}
