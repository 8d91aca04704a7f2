// Package config reads kafkafn's configuration from the environment, once, at start-up.
//
// Every variable kafkafn understands is read here and nowhere else (platform-owned variables
// such as AWS_LAMBDA_RUNTIME_API are read only by shared/platform). Each section has its own
// FromEnv function, so a binary loads and validates only the sections it uses; an invalid
// value is an error that names the variable. The packages that use a setting own its type
// (httpio.Limits, httpio.Ops; broker.Config, which kafkaenv fills because broker
// links kafka-go); config only maps variables onto them. It imports neither kafka-go nor MSAL.
package config

// Getenv reads one variable; os.Getenv fits.
type Getenv func(string) string
