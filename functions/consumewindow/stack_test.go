package consumewindow_test

import (
	"maps"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/internal/harness"
)

// startEnv starts the shipped consume-window Build through the harness (dev auth, a kfake
// cluster seeded by opts, REQUEST_TIMEOUT=10s, the variables of env set last) and returns
// the route tests' Env over it.
func startEnv(t testing.TB, env map[string]string, opts ...kfake.Opt) *consumewindow.Env {
	t.Helper()
	vars := map[string]string{"REQUEST_TIMEOUT": "10s"}
	maps.Copy(vars, env)
	s := harness.Start(t, harness.Options{Routes: harness.ConsumeWindow, Cluster: opts, Env: vars})
	return consumewindow.NewEnv(s.Cluster, s.Broker, s.URL, s.Client())
}
