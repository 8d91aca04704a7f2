// Package launch starts a kafkafn binary on whichever platform it finds itself on. The choice
// is made once, at start-up, from a table of environment variables (the pattern of
// aws-lambda-go's lambda.Start): the first adapter whose variable is set wins; with none set
// the binary serves plain HTTP on localhost.
package launch

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/awslambda"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
	"github.com/kafkafn/kafkafn/shared/platform/local"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

// adapter is one row of the start table.
type adapter struct {
	name  string
	envs  []string // the adapter is chosen when any of these is set
	start func(ctx context.Context, name string, getenv func(string) string, build platform.BuildFunc) error
}

// adapters is the start table, in priority order. Binaries are built with -tags
// lambda.norpc, so _LAMBDA_SERVER_PORT only ever means an SCF event function.
var adapters = []adapter{
	{name: awslambda.Platform, envs: []string{"AWS_LAMBDA_RUNTIME_API"}, start: awslambda.Start},
	{name: scf.Platform, envs: []string{scf.PortEnv}, start: scf.Start},
	{name: azurefunc.Platform, envs: []string{azurefunc.PortEnv, azurefunc.LegacyPortEnv}, start: azurefunc.Start},
}

// Start runs the binary called name: it sets up JSON logging, picks the adapter and blocks
// until the adapter returns (on SIGINT/SIGTERM for servers).
func Start(name string, build platform.BuildFunc) error {
	return Run(context.Background(), name, os.Getenv, build)
}

// Run is Start with an explicit environment, for tests.
func Run(ctx context.Context, name string, getenv func(string) string, build platform.BuildFunc) error {
	// Every line logged with a request's context carries its request_id (httpio.NewLogHandler).
	slog.SetDefault(slog.New(httpio.NewLogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(getenv)}))).With("function", name))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, a := range adapters {
		for _, env := range a.envs {
			if getenv(env) != "" {
				slog.Info("platform selected", "platform", a.name, "by", env)
				return a.start(ctx, name, getenv, build)
			}
		}
	}
	addr := local.Addr(getenv)
	slog.Info("platform selected", "platform", "local", "addr", addr)
	env := platform.Env{Getenv: getenv, Platform: "local", Name: name, LoopbackOnly: local.IsLoopback(addr)}
	return local.Run(ctx, addr, name, env, build, nil)
}

func logLevel(getenv func(string) string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(getenv("LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
