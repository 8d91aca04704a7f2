package webhook_test

import (
	"fmt"
	"time"

	"github.com/kafkafn/kafkafn/shared/webhook"
)

// A sender signs a delivery; the receiver verifies the same headers and body.
func ExampleSigner() {
	signer, err := webhook.NewSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	body := []byte(`{"records":[]}`)
	sent := time.Unix(1760000000, 0)
	h := signer.Sign("msg_2a7Lq", sent, body)
	fmt.Println(h.Get("webhook-id"), h.Get("webhook-timestamp"))

	verifier, err := webhook.NewStandard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	fmt.Println(verifier.Verify(h, body, sent.Add(time.Minute)))
	fmt.Println(verifier.Verify(h, []byte(`{"records":[1]}`), sent.Add(time.Minute)))
	// Output:
	// msg_2a7Lq 1760000000
	// <nil>
	// the webhook signature does not match the body: webhook: no matching signature
}
