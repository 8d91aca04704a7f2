// Package kafkadeps loads what every Kafka route needs from the environment, once per
// process: the broker client, the auth guard and the request limits; Build serves a
// function's routes with them.
package kafkadeps

import (
	"net/http"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/config/kafkaenv"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/metrics"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Base is what every Kafka route's Deps embeds: the broker client, the auth guard and the
// request limits. Build functions hand it on whole, never field by field.
type Base struct {
	Broker *broker.Client
	Guard  *auth.Guard
	Limits httpio.Limits
}

// Deps is the union of the Kafka routes' dependencies.
type Deps struct {
	Base
	Kafka broker.Config
	// Ops and Metrics are the operations settings for httpio.WithOps.
	Ops     httpio.Ops
	Metrics *metrics.Registry
}

// Load reads the Kafka, limits and auth sections and builds the broker client (without
// dialling). brokers, when not empty, overrides KAFKA_BROKERS (the embedded local broker).
// auth are options for the guard (the produce binary passes authconfig.WithTC3).
func Load(env platform.Env, brokers []string, auth ...authconfig.Option) (Deps, error) {
	bcfg, err := kafkaenv.FromEnv(env.Getenv)
	if err != nil {
		return Deps{}, err
	}
	if len(brokers) > 0 {
		bcfg.Brokers = brokers
	}
	if err := kafkaenv.RequireBrokers(bcfg); err != nil {
		return Deps{}, err
	}
	limits, err := config.LimitsFromEnv(env.Getenv)
	if err != nil {
		return Deps{}, err
	}
	ops, reg, err := config.LoadOps(env)
	if err != nil {
		return Deps{}, err
	}
	if env.Log != nil {
		auth = append([]authconfig.Option{authconfig.WithLogger(env.Log)}, auth...)
	}
	guard, err := authconfig.Guard(env, auth...)
	if err != nil {
		return Deps{}, err
	}
	bc, err := broker.New(bcfg)
	if err != nil {
		return Deps{}, err
	}
	return Deps{Base: Base{Broker: bc, Guard: guard, Limits: limits}, Kafka: bcfg, Ops: ops, Metrics: reg}, nil
}

// Build is the body of a one-route-set Kafka function's platform.BuildFunc: Load (auth are
// the guard's options), then routes makes the route set's Deps from the shared ones and
// registers its routes on one mux, and the app serves it with the body budget, then each
// extra option made from the limits (consume-window passes httpio.WithResponseBudget), then
// the operations settings; Close closes the broker client. A route set that needs its Deps
// afterwards (consume-window's Timer) keeps them from routes.
//
// Design note: not generic over the route set's Deps on purpose. A generic Build's
// dictionary holds the Deps type, which the linker then treats as converted to an
// interface: every exported method of every type reachable from it (kafka-go's whole
// legacy Conn API through broker.Client) stays in the binary, ~130 KB of produce.
func Build(env platform.Env, auth []authconfig.Option, routes func(Deps, *http.ServeMux) error,
	extra ...func(httpio.Limits) httpio.Option) (platform.App, error) {
	d, err := Load(env, nil, auth...)
	if err != nil {
		return platform.App{}, err
	}
	mux := http.NewServeMux()
	if err := routes(d, mux); err != nil {
		d.Broker.Close() // made by Load, never dialled: nothing else holds it
		return platform.App{}, err
	}
	opts := []httpio.Option{httpio.WithBodyBudget(d.Limits)}
	for _, o := range extra {
		opts = append(opts, o(d.Limits))
	}
	opts = append(opts, httpio.WithOps(d.Ops, d.Metrics))
	return platform.App{HTTP: httpio.Serve(mux, env.Log, opts...), Close: d.Broker.Close}, nil
}
