package bearer_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

// An Authenticator plugs into auth.Guard. Building it makes no network calls; the tenant's
// keys are fetched on the first request that carries a token.
func Example() {
	cfg, err := authenv.EntraFromEnv(func(name string) string {
		return map[string]string{
			"AUTH_ENTRA_TENANT_ID":      "72f988bf-86f1-41af-91ab-2d7cd011db47",
			"AUTH_ENTRA_AUDIENCE":       "api://kafkafn",
			"AUTH_ENTRA_ALLOWED_ROLES":  "Kafka.Produce",
			"AUTH_ENTRA_ALLOWED_GROUPS": "",
		}[name]
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := bearer.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	guard := auth.NewGuard(nil, a)
	h := guard.Wrap(auth.OpProduce, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	for _, authz := range []string{"", "Bearer not a token"} {
		r := httptest.NewRequest(http.MethodPost, "/v1/producer/topics/orders", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// 401 Bearer
	// 401 Bearer error="invalid_request"
}
