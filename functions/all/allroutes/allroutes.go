// Package allroutes builds every kafkafn route on one mux: the all-routes binary
// (functions/all: the Azure function app's custom handler and local development) and the
// test harness (internal/harness) start it.
package allroutes

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/functions/listtopics"
	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/functions/token"
	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/auth/entra"
	"github.com/kafkafn/kafkafn/shared/broker/embedded"
	"github.com/kafkafn/kafkafn/shared/config/embeddedenv"
	"github.com/kafkafn/kafkafn/shared/config/entraenv"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Build is the all-routes binary's platform.BuildFunc: every route on one mux. Locally, with
// no KAFKA_BROKERS, it first starts an embedded broker (kfake; in memory, or in
// EMBEDDED_KAFKA_DIR).
func Build(_ context.Context, env platform.Env) (platform.App, error) {
	var brokers []string
	var closers []func()
	if ek, ok := embeddedenv.FromEnv(env.Getenv); ok && env.Platform == "local" {
		dir := ek.Dir
		c, err := embedded.Start(dir)
		if err != nil {
			return platform.App{}, err
		}
		closers = append(closers, c.Close)
		brokers = c.ListenAddrs()
		where := "in memory: data is lost on exit"
		if dir != "" {
			where = "persisted in " + dir
		}
		log := env.Log
		if log == nil {
			log = slog.Default()
		}
		log.Warn("KAFKA_BROKERS is not set: started an EMBEDDED Kafka broker for local development",
			"brokers", strings.Join(brokers, ","), "data", where)
	}
	d, err := kafkadeps.Load(env, brokers, authconfig.WithTC3())
	if err != nil {
		for _, c := range closers {
			c()
		}
		return platform.App{}, err
	}
	closers = append([]func(){d.Broker.Close}, closers...)
	fail := func(err error) (platform.App, error) {
		for _, c := range closers {
			c()
		}
		return platform.App{}, err
	}
	pd, err := produce.LoadDeps(env, produce.Deps{Base: d.Base})
	if err != nil {
		return fail(err)
	}
	cd, err := consumewindow.LoadDeps(env, consumewindow.Deps{Base: d.Base})
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	if entraenv.Configured(env.Getenv) {
		tc, err := entraenv.FromEnv(env.Getenv)
		if err != nil {
			return fail(err)
		}
		src, err := entra.New(tc)
		if err != nil {
			return fail(err)
		}
		token.Register(mux, token.Deps{Source: src, Config: tc, Limits: d.Limits, Log: env.Log})
	} else {
		token.Register(mux, token.Deps{Log: env.Log}) // no Source: 404 route_not_found, saying how to turn it on
	}
	listtopics.Register(mux, listtopics.Deps{Base: d.Base, Metrics: d.Metrics})
	produce.Register(mux, pd)
	consumewindow.Register(mux, cd)
	return platform.App{
		HTTP:  httpio.Serve(mux, env.Log, httpio.WithBodyBudget(d.Limits), httpio.WithResponseBudget(d.Limits), httpio.WithOps(d.Ops, d.Metrics)),
		Timer: consumewindow.Timer(cd),
		Close: func() {
			for _, c := range closers {
				c()
			}
		},
	}, nil
}
