package produce

import (
	"net/http"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// Routes is the produce function's public surface, for the deploy descriptors.
var Routes = auth.Specs(table(Deps{}))

// table is the route table: HDInsight produce, CKafka SendMessage and webhook ingestion.
// Register and Routes both read it.
func table(d Deps) []auth.Route {
	return []auth.Route{
		{Route: httpio.Route{Method: "POST", Path: "/v1/producer/topics/{topic}", Name: "ProduceRecords"},
			Op: auth.OpProduce, Handle: (&hdinsight{d}).serve},
		// SendMessage (TencentCloud API 3.0) is POST / with X-TC-Action: SendMessage and
		// X-TC-Version: 2019-08-19, signed with TC3-HMAC-SHA256, which the handler verifies;
		// the mux pattern is "POST /{$}" so that only the root path matches.
		{Route: httpio.Route{Method: "POST", Path: "/", Name: "SendMessage"}, MuxPath: "/{$}",
			Op: auth.Public, Handle: (&ckafka{d}).serve},
		// Webhook senders cannot send bearer tokens: the handler authenticates the signature,
		// then asks the Guard's policy about the source's principal. The sender is named by
		// the query parameter source, e.g. POST /v1/webhooks/github-events?source=github.
		{Route: httpio.Route{Method: "POST", Path: "/v1/webhooks/{topic}", Name: "IngestWebhook"},
			Op: auth.Public, Handle: (&webhookHandler{d}).serve},
	}
}

// Deps is what the routes need.
type Deps struct {
	kafkadeps.Base             // the broker client, the guard, the limits
	CKafka         CKafkaDeps  // the CKafka DataHub SendMessage action (ckafka.go)
	Webhooks       WebhookDeps // webhook ingestion (webhook.go)
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
	auth.Register(mux, auth.Table{Routes: table(d), Guard: d.Guard,
		Timeout: d.Limits.RequestTimeout, Margin: d.Limits.DeadlineMargin,
		Checks: []httpio.PathCheck{{Name: "topic", Check: broker.ValidateTopicName}}})
}
