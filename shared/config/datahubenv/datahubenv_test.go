package datahubenv_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config/datahubenv"
	"github.com/kafkafn/kafkafn/shared/datahub"
)

func TestCKafkaFromEnv(t *testing.T) {
	got, err := datahubenv.FromEnv(env(map[string]string{"CKAFKA_DATAHUBS": "datahub-a=orders, datahub_b = events.eu:paused"}))
	want := map[string]datahub.Target{"datahub-a": {Topic: "orders"}, "datahub_b": {Topic: "events.eu", Paused: true}}
	if err != nil || !reflect.DeepEqual(got.DataHubs, want) {
		t.Fatalf("FromEnv = %+v, %v", got, err)
	}
	for value, msg := range map[string]string{
		"datahub-a":               "must be datahub-id=topic",
		"=orders":                 "must be datahub-id=topic",
		"datahub a=orders":        "is not a DataHubId",
		"datahub-a=or ders":       "is not a Kafka topic name",
		"datahub-a=..":            "is not a Kafka topic name",
		"datahub-a=a,datahub-a=b": "listed twice",
	} {
		if _, err := datahubenv.FromEnv(env(map[string]string{"CKAFKA_DATAHUBS": value})); err == nil ||
			!strings.HasPrefix(err.Error(), "CKAFKA_DATAHUBS: ") || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: error %v; want %q", value, err, msg)
		}
	}
}

func FuzzCKafkaFromEnv(f *testing.F) {
	f.Add("datahub-a=orders,datahub-b=events:paused")
	f.Add("=,a=")
	f.Fuzz(func(t *testing.T, hubs string) {
		getenv := env(map[string]string{"CKAFKA_DATAHUBS": hubs})
		if c, err := datahubenv.FromEnv(getenv); err == nil {
			for id, h := range c.DataHubs {
				if id == "" || h.Topic == "" || strings.HasSuffix(h.Topic, ":paused") {
					t.Fatalf("accepted %q=%+v", id, h)
				}
			}
		}
	})
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
