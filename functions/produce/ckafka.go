package produce

import (
	"net/http"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// ckafkaRoutes serves the Tencent CKafka DataHub SendMessage action (POST / with
// X-TC-Action). Filled in by the auth issue.
var ckafkaRoutes = []httpio.Route{}

// CKafkaDeps configures SendMessage.
type CKafkaDeps struct{}

func loadCKafka(platform.Env) (CKafkaDeps, error) { return CKafkaDeps{}, nil }

func registerCKafka(*http.ServeMux, Deps) {}
