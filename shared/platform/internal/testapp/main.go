// Command testapp is the binary the platform contract tests build and drive as each platform
// would: the echo App (shared/platform/internal/echo) started through launch, exactly like a
// route binary, plus, when KAFKA_BROKERS is set, /kafka/ routes on one warm broker.Client
// that report how many TCP connections it has dialled, so warm reuse is visible from
// outside the process.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config/kafkaenv"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
	"github.com/kafkafn/kafkafn/shared/platform/launch"
)

func main() {
	if err := launch.Start("testapp", build); err != nil {
		fmt.Fprintln(os.Stderr, "testapp:", err)
		os.Exit(1)
	}
}

func build(ctx context.Context, env platform.Env) (platform.App, error) {
	app, err := echo.Build(ctx, env)
	if err != nil || strings.TrimSpace(env.Getenv("KAFKA_BROKERS")) == "" {
		return app, err
	}
	kc, err := kafkaenv.FromEnv(env.Getenv)
	if err != nil {
		return platform.App{}, err
	}
	bc, err := broker.New(kc)
	if err != nil {
		return platform.App{}, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kafka/topics/{topic}/produce", func(w http.ResponseWriter, r *http.Request) {
		if err := bc.Ping(r.Context()); err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		if _, err := bc.Produce(r.Context(), r.PathValue("topic"), []broker.Record{{Partition: broker.AnyPartition, Value: []byte("warm")}}); err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		httpio.WriteJSON(w, http.StatusOK, map[string]int64{"dials": bc.Dials()})
	})
	mux.Handle("/", app.HTTP)
	closeEcho := app.Close
	app.HTTP = httpio.Serve(mux, nil)
	app.Close = func() {
		bc.Close()
		closeEcho()
	}
	return app, nil
}
