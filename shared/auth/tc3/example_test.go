package tc3_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/auth/tc3"
)

// Sign reproduces TencentCloud's documented example request.
func ExampleSign() {
	body := `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	r := httptest.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	tc3.Sign(r, []byte(body), "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", time.Unix(1551113065, 0))
	fmt.Println(r.Header.Get("Authorization"))
	// Output:
	// TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168
}

// A Verifier checks a request's signature over the body the handler has read, and names the
// SecretId that signed it.
func ExampleVerifier_Verify() {
	v, err := tc3.NewVerifier("ckafka", map[string][]string{"AKIDexample": {"old-key", "new-key"}})
	if err != nil {
		panic(err)
	}
	body := []byte(`{"DataHubId":"datahub-orders","Message":[{"Body":"hello"}]}`)
	r := httptest.NewRequest(http.MethodPost, "http://kafkafn.example.com/", nil)
	r.Header.Set("Content-Type", "application/json")
	tc3.Sign(r, body, "AKIDexample", "new-key", "ckafka", time.Now())
	fmt.Println(v.Verify(r, body))
	// Output: AKIDexample <nil>
}

// SignRoute signs a call to one of kafkafn's routes: the path and query are part of the
// signature, so it is valid for this topic and these parameters only. Callers without this
// package do the same with any TC3 signer by using the path as CanonicalURI and the query as
// CanonicalQueryString (docs/auth-tencent.md has a curl + openssl version).
func ExampleSignRoute() {
	body := []byte(`{"records":[{"value":"hello"}]}`)
	r, err := http.NewRequest(http.MethodPost, "https://kafkafn.example.com/v1/producer/topics/orders", strings.NewReader(string(body)))
	if err != nil {
		panic(err)
	}
	r.Header.Set("Content-Type", "application/json")
	tc3.SignRoute(r, body, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "ckafka", time.Unix(1795255200, 0))
	fmt.Println(r.Header.Get("X-TC-Timestamp"))
	fmt.Println(r.Header.Get("Authorization"))
	// http.DefaultClient.Do(r) sends it.
	// Output:
	// 1795255200
	// TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2026-11-21/ckafka/tc3_request, SignedHeaders=content-type;host, Signature=f6fe76c935df821599d70a915bcb354c47b20ddc37ce7ea4aefd6892ebfe84b8
}
