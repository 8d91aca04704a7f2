package token_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/functions/token"
	"github.com/kafkafn/kafkafn/shared/auth/entra"
	"github.com/kafkafn/kafkafn/shared/config/entraenv"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// Register puts POST /v1/token on a mux. Requests that fail local checks are answered
// without calling Entra ID.
func ExampleRegister() {
	cfg, err := entraenv.FromEnv(func(name string) string {
		return map[string]string{"TOKEN_TENANT_ID": "contoso.onmicrosoft.com"}[name]
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := entra.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	token.Register(mux, token.Deps{Source: src, Config: cfg, Limits: httpio.Limits{RequestTimeout: 10 * time.Second}})

	r := httptest.NewRequest(http.MethodPost, "/v1/token", strings.NewReader("grant_type=password"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Cache-Control"), strings.TrimSpace(w.Body.String()))
	// Output:
	// 400 no-store {"error":"unsupported_grant_type","error_description":"only grant_type=client_credentials is supported"}
}
