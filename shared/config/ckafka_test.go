package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config"
)

func TestCKafkaFromEnv(t *testing.T) {
	got, err := config.CKafkaFromEnv(env(map[string]string{"CKAFKA_DATAHUBS": "datahub-a=orders, datahub_b = events.eu:paused"}))
	want := map[string]config.DataHub{"datahub-a": {Topic: "orders"}, "datahub_b": {Topic: "events.eu", Paused: true}}
	if err != nil || !reflect.DeepEqual(got.DataHubs, want) {
		t.Fatalf("CKafkaFromEnv = %+v, %v", got, err)
	}
	for value, msg := range map[string]string{
		"datahub-a":               "must be datahub-id=topic",
		"=orders":                 "must be datahub-id=topic",
		"datahub a=orders":        "is not a DataHubId",
		"datahub-a=or ders":       "is not a Kafka topic name",
		"datahub-a=..":            "is not a Kafka topic name",
		"datahub-a=a,datahub-a=b": "listed twice",
	} {
		if _, err := config.CKafkaFromEnv(env(map[string]string{"CKAFKA_DATAHUBS": value})); err == nil ||
			!strings.HasPrefix(err.Error(), "CKAFKA_DATAHUBS: ") || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: error %v; want %q", value, err, msg)
		}
	}
}

func TestPolicyFromEnv(t *testing.T) {
	p, err := config.PolicyFromEnv(env(nil))
	if err != nil || p.Set() {
		t.Fatalf("unset: %+v, %v", p, err)
	}
	p, err = config.PolicyFromEnv(env(map[string]string{"AUTH_POLICY": ` {"rules":[]} `}))
	if err != nil || string(p.JSON) != `{"rules":[]}` || p.Source != "AUTH_POLICY" {
		t.Fatalf("inline: %+v, %v", p, err)
	}
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.PolicyFromEnv(env(map[string]string{"AUTH_POLICY": "@" + empty})); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("an empty file: %v", err)
	}
}

func FuzzCKafkaFromEnv(f *testing.F) {
	f.Add("datahub-a=orders,datahub-b=events:paused")
	f.Add("=,a=")
	f.Fuzz(func(t *testing.T, hubs string) {
		getenv := env(map[string]string{"CKAFKA_DATAHUBS": hubs})
		if c, err := config.CKafkaFromEnv(getenv); err == nil {
			for id, h := range c.DataHubs {
				if id == "" || h.Topic == "" || strings.HasSuffix(h.Topic, ":paused") {
					t.Fatalf("accepted %q=%+v", id, h)
				}
			}
		}
	})
}
