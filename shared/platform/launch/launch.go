// Package launch starts a kafkafn binary on whichever platform it finds itself on. The choice
// is made once, at start-up, from a table of environment variables (the pattern of
// aws-lambda-go's lambda.Start): the first adapter whose variable is set wins; with none set
// the binary serves plain HTTP on localhost.
//
// Start also gives every binary the same command line: -version prints the version and exits,
// -h/--help says what the binary is, how the platform is chosen and where the configuration
// is documented; any other argument is an error (platforms start the binaries without any).
package launch

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/kafkafn/kafkafn/shared/buildinfo"
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
	what  string   // for --help
	envs  []string // the adapter is chosen when any of these is set
	start func(ctx context.Context, name string, getenv func(string) string, build platform.BuildFunc) error
}

// adapters is the start table, in priority order. Binaries are built with -tags
// lambda.norpc, so _LAMBDA_SERVER_PORT only ever means an SCF event function.
var adapters = []adapter{
	{name: awslambda.Platform, what: "AWS Lambda (provided.al2023 custom runtime)", envs: []string{"AWS_LAMBDA_RUNTIME_API"}, start: awslambda.Start},
	{name: scf.Platform, what: "Tencent SCF event function (Go1 runtime)", envs: []string{scf.PortEnv}, start: scf.Start},
	{name: azurefunc.Platform, what: "Azure Functions custom handler", envs: []string{azurefunc.PortEnv, azurefunc.LegacyPortEnv}, start: azurefunc.Start},
}

// descriptions says what each kafkafn binary is, for --help.
var descriptions = map[string]string{
	"produce":        "the produce function: HDInsight produce (POST /v1/producer/topics/{topic}), CKafka SendMessage (POST /) and signed webhook ingestion (POST /v1/webhooks/{topic})",
	"consume-window": "the consume-window function: reads by offset, by time window and by consumer group, group commits and lag, and scheduled pulls on timer triggers",
	"list-topics":    "the list-topics function: topic, partition and broker metadata, topic create/delete, GET /v1/status, GET /v1/openapi.json and the GET / index",
	"token":          "the token function: POST /v1/token hands out Microsoft Entra ID client-credentials tokens",
	"all":            "every kafkafn route in one binary: the Azure function app's handler, one SCF web function, and local development (with an embedded Kafka broker when KAFKA_BROKERS is unset)",
}

// DocsURL is where the configuration is documented.
const DocsURL = "https://github.com/kafkafn/kafkafn#configuration"

// usage writes the --help text of the binary called name.
func usage(w io.Writer, name string) {
	what := descriptions[name]
	if what == "" {
		what = "a kafkafn function"
	}
	fmt.Fprintf(w, "%s %s: Apache Kafka over HTTP; %s.\n\n", name, buildinfo.Version, what)
	fmt.Fprintf(w, "Usage: %s [-version] [-help]\n\n", name)
	fmt.Fprintln(w, "Started without arguments, it picks its platform from the environment; the first match wins:")
	for _, a := range adapters {
		for i, env := range a.envs {
			what := a.what
			if i > 0 {
				what = "(same)"
			}
			fmt.Fprintf(w, "  %-30s %s\n", env+" set", what)
		}
	}
	fmt.Fprintf(w, "  %-30s %s\n", "none of them", "a plain HTTP server on ADDR, else 127.0.0.1:$PORT, else 127.0.0.1:8080")
	fmt.Fprintln(w, "                                 (also the SCF web-function mode, via scf_bootstrap on 0.0.0.0:9000)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "All configuration comes from environment variables (KAFKA_*, AUTH_*, HTTP_*, ...); an invalid")
	fmt.Fprintln(w, "value stops the start with a message naming the variable. They are documented in README.md")
	fmt.Fprintln(w, "(Configuration) and docs/ of the source, "+DocsURL+";")
	fmt.Fprintln(w, "the routes in GET /v1/openapi.json.")
}

// errExit is returned by parseArgs when the command line was handled (-version, -help) and
// the binary should exit successfully without starting.
var errExit = errors.New("launch: exit")

// parseArgs handles the command line. It returns errExit after -version or -help and an error
// for anything else it does not know.
func parseArgs(name string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {}
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout, name)
		return errExit
	case err != nil:
		return fmt.Errorf("%v (see %s -help)", err, name)
	case *version:
		fmt.Fprintf(stdout, "%s %s\n", name, buildinfo.Version)
		return errExit
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q: configuration comes from environment variables (see %s -help)", fs.Arg(0), name)
	}
	return nil
}

// Start runs the binary called name: it handles the command line (-version, -help), sets up
// JSON logging, picks the adapter and blocks until the adapter returns (on SIGINT/SIGTERM for
// servers). After -version or -help it returns nil without starting anything.
func Start(name string, build platform.BuildFunc) error {
	if err := parseArgs(name, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, errExit) {
			return nil
		}
		return err
	}
	return Run(context.Background(), name, os.Getenv, build)
}

// Run is Start with an explicit environment, for tests.
func Run(ctx context.Context, name string, getenv func(string) string, build platform.BuildFunc) error {
	level, err := logLevel(getenv)
	if err != nil {
		return err
	}
	// Every line logged with a request's context carries its request_id (httpio.NewLogHandler).
	slog.SetDefault(slog.New(httpio.NewLogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))).With("function", name))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	build = withMemoryLimit(getenv, build)
	for _, a := range adapters {
		for _, env := range a.envs {
			if v := getenv(env); v != "" {
				if strings.HasSuffix(env, "_PORT") {
					if err := local.CheckPort(env, v); err != nil {
						return fmt.Errorf("launch: %s: %w", a.name, err)
					}
				}
				slog.Info("platform selected", "platform", a.name, "by", env, "version", buildinfo.Version)
				return a.start(ctx, name, getenv, build)
			}
		}
	}
	addr, err := local.Addr(getenv)
	if err != nil {
		return err
	}
	slog.Info("platform selected", "platform", "local", "addr", addr, "version", buildinfo.Version)
	env := platform.Env{Getenv: getenv, Platform: "local", Name: name, LoopbackOnly: local.IsLoopback(addr)}
	return local.Run(ctx, addr, name, env, build, nil)
}

// logLevel reads LOG_LEVEL: empty means info; anything slog.Level does not parse is an error
// naming the variable.
func logLevel(getenv func(string) string) (slog.Level, error) {
	v := getenv("LOG_LEVEL")
	if v == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		return 0, fmt.Errorf("launch: LOG_LEVEL: %q is not a log level; want debug, info, warn or error", v)
	}
	return l, nil
}

// withMemoryLimit wraps build: once the App is built, a process without GOMEMLIMIT gets the
// soft memory limit its handler asks for (httpio.Serve's MemoryLimit, derived from the
// in-flight budgets, where the design note says why), so that its memory stays near what
// the budgets let it hold instead of twice that (GOGC). GOMEMLIMIT, read by the runtime
// itself, wins.
func withMemoryLimit(getenv func(string) string, build platform.BuildFunc) platform.BuildFunc {
	return func(ctx context.Context, env platform.Env) (platform.App, error) {
		app, err := build(ctx, env)
		if err != nil || getenv("GOMEMLIMIT") != "" {
			return app, err
		}
		if m, ok := app.HTTP.(interface{ MemoryLimit() int64 }); ok {
			if n := m.MemoryLimit(); n > 0 {
				debug.SetMemoryLimit(n)
				slog.Debug("soft memory limit set from the in-flight budgets", "bytes", n)
			}
		}
		return app, nil
	}
}
