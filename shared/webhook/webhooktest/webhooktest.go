// Package webhooktest signs webhook deliveries for tests with the Standard Webhooks reference
// library, independently of package webhook: the webhook package's own tests and the produce
// route's tests use it.
package webhooktest

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Sign signs body as message id sent at ts with secret (whsec_...) and returns the
// webhook-id, webhook-timestamp and webhook-signature headers; it fails t when the library
// refuses the secret.
func Sign(t testing.TB, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(standardwebhooks.HeaderWebhookID, id)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, sig)
	return h
}
