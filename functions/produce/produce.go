package produce

import (
	"net/http"
	"slices"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Routes is the produce function's public surface: HDInsight produce, CKafka SendMessage and
// webhook ingestion (each API's table lives beside its handler).
var Routes = slices.Concat(hdinsightRoutes, ckafkaRoutes, webhookRoutes)

// Deps is what the routes need.
type Deps struct {
	Broker   *broker.Client
	Guard    *auth.Guard
	Limits   config.Limits
	CKafka   CKafkaDeps  // the CKafka DataHub SendMessage action (ckafka.go)
	Webhooks WebhookDeps // webhook ingestion (webhook.go)
}

// LoadDeps reads the produce-specific configuration (CKafka datahubs and credentials, webhook
// sources) for a binary started in env.
func LoadDeps(env platform.Env, base Deps) (Deps, error) {
	var err error
	if base.CKafka, err = loadCKafka(env); err != nil {
		return Deps{}, err
	}
	if base.Webhooks, err = loadWebhooks(env); err != nil {
		return Deps{}, err
	}
	return base, nil
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	mux.Handle(hdinsightRoutes[0].Pattern(), d.Guard.Wrap(auth.OpProduce, &hdinsight{d}))
	registerCKafka(mux, d)
	registerWebhooks(mux, d)
}
