package produce

import (
	"net/http"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// webhookRoutes serves webhook ingestion (POST /v1/webhooks/{topic}). Filled in by the
// windows-and-webhooks issue.
var webhookRoutes = []httpio.Route{}

// WebhookDeps configures webhook ingestion.
type WebhookDeps struct{}

func loadWebhooks(platform.Env) (WebhookDeps, error) { return WebhookDeps{}, nil }

func registerWebhooks(*http.ServeMux, Deps) {}
