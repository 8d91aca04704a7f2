// Package authtest holds kafkafn's cross-route authentication and authorisation tests: every
// Kafka route of every function behind the Guard that authconfig builds from the
// environment, with real Entra ID tokens from the fake Entra ID, real TC3 signatures and a
// real AUTH_POLICY, over a kfake cluster. The package has no code of its own; its tests also
// capture all log output of the suite and fail if a secret, signature or token reached it.
package authtest
