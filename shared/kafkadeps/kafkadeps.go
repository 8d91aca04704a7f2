// Package kafkadeps loads what every Kafka route needs from the environment, once per
// process: the broker client, the auth guard and the request limits; Deps.App serves a
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

// App serves mux as a Kafka function: the body budget, then extra (consume-window adds the
// response budget), then the operations settings; Close closes the broker client.
func (d Deps) App(env platform.Env, mux *http.ServeMux, extra ...httpio.Option) platform.App {
	opts := append([]httpio.Option{httpio.WithBodyBudget(d.Limits)}, extra...)
	opts = append(opts, httpio.WithOps(d.Ops, d.Metrics))
	return platform.App{HTTP: httpio.Serve(mux, env.Log, opts...), Close: d.Broker.Close}
}
