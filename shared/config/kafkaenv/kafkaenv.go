// Package kafkaenv fills broker.Config from the environment: config.KafkaFromEnv reads and
// validates the KAFKA_* (and AWS_*/IDENTITY_*) variables, Broker maps the result onto the
// type broker owns. It is apart from config so that config, which every binary links, stays
// free of kafka-go (broker links it; the token binary must not).
package kafkaenv

import (
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/saslcred"
	"github.com/kafkafn/kafkafn/shared/config"
)

// FromEnv reads the Kafka section (config.KafkaFromEnv) as a broker.Config.
func FromEnv(getenv config.Getenv) (broker.Config, error) {
	k, err := config.KafkaFromEnv(getenv)
	if err != nil {
		return broker.Config{}, err
	}
	return Broker(k), nil
}

// Broker maps the Kafka section onto broker.Config, field by field.
func Broker(k config.Kafka) broker.Config {
	return broker.Config{
		Brokers:       k.Brokers,
		SASLMechanism: k.SASLMechanism,
		SASLUsername:  k.SASLUsername,
		SASLPassword:  k.SASLPassword,
		AWS:           saslcred.AWSCredentials{Region: k.AWS.Region, ContainerURI: k.AWS.ContainerURI, Getenv: k.AWS.Getenv},
		OAuth: saslcred.OAuth{
			TokenURL:         k.OAuth.TokenURL,
			ClientID:         k.OAuth.ClientID,
			ClientSecret:     k.OAuth.ClientSecret,
			Scopes:           k.OAuth.Scopes,
			CAPEM:            k.OAuth.CAPEM,
			ManagedIdentity:  k.OAuth.ManagedIdentity,
			IdentityEndpoint: k.OAuth.IdentityEndpoint,
			Getenv:           k.OAuth.Getenv,
			Extensions:       k.OAuth.Extensions,
		},
		TLS:                  k.TLS,
		TLSCAPEM:             k.TLSCAPEM,
		TLSSkipHostnameCheck: k.TLSSkipHostnameCheck,
		ClientID:             k.ClientID,
		DialTimeout:          k.DialTimeout,
		RequestTimeout:       k.RequestTimeout,
		MetadataTTL:          k.MetadataTTL,
		IdleTimeout:          k.IdleTimeout,
	}
}
