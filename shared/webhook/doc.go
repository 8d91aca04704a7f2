// Package webhook signs and verifies webhook deliveries: the Standard Webhooks scheme
// (webhook-id, webhook-timestamp, webhook-signature; https://www.standardwebhooks.com), GitHub's
// X-Hub-Signature-256, and a generic HMAC-SHA256 of the body in a configurable header.
//
// A Verifier checks one request's headers and raw body and returns nil or an error of kind
// apierr.Unauthorized whose public message says what was wrong (missing header, stale
// timestamp, no matching signature) without echoing secrets or signatures. Signatures are
// compared in constant time (hmac.Equal) after decoding. A verifier may hold several
// secrets, so a secret can be rotated without refusing deliveries signed with the old one.
//
// Signer produces Standard Webhooks headers for outgoing deliveries (the pull sink).
//
// The package depends only on the standard library and shared/apierr: it never imports
// kafka-go, so any binary can link it.
package webhook
