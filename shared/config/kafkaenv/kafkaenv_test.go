package kafkaenv_test

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/config/kafkaenv"
)

// TestBrokerMapsEveryField fails when a field added to config.Kafka (or its AWS/OAuth parts)
// is not carried into broker.Config: every field of a fully set section must arrive set.
func TestBrokerMapsEveryField(t *testing.T) {
	getenv := func(string) string { return "x" }
	var k config.Kafka
	fill(t, reflect.ValueOf(&k).Elem(), getenv)
	k.AWS.Getenv, k.OAuth.Getenv = getenv, getenv
	checkSet(t, "broker.Config", reflect.ValueOf(kafkaenv.Broker(k)))
}

func TestFromEnvReadsTheKafkaSection(t *testing.T) {
	env := map[string]string{"KAFKA_BROKERS": "a:9092,b:9093", "KAFKA_CLIENT_ID": "app"}
	c, err := kafkaenv.FromEnv(func(k string) string { return env[k] })
	if err != nil || len(c.Brokers) != 2 || c.Brokers[1] != "b:9093" || c.ClientID != "app" || c.IdleTimeout == 0 {
		t.Fatalf("FromEnv = %+v, %v", c, err)
	}
	if _, err := kafkaenv.FromEnv(func(k string) string { return map[string]string{"KAFKA_BROKERS": "nohost"}[k] }); err == nil {
		t.Fatal("FromEnv accepted KAFKA_BROKERS=nohost")
	}
}

func fill(t *testing.T, v reflect.Value, getenv config.Getenv) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Struct:
			fill(t, f, getenv)
		case reflect.String:
			f.SetString("v")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int64:
			f.SetInt(1)
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
			f.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
		case reflect.Func: // Getenv, set by the caller
		default:
			t.Fatalf("fill: field %s of kind %s", v.Type().Field(i).Name, f.Kind())
		}
	}
}

func checkSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f, name := v.Field(i), path+"."+v.Type().Field(i).Name
		if f.Kind() == reflect.Struct {
			checkSet(t, name, f)
		} else if f.IsZero() {
			t.Errorf("%s is not mapped from config.Kafka", name)
		}
	}
}

// TestLayering keeps the direction of this package's arrows: broker and httpio own their
// settings and import no config; config (linked by every binary) links no kafka-go.
func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	tests := []struct{ pkg, without string }{
		{"github.com/kafkafn/kafkafn/shared/broker", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/httpio", "github.com/kafkafn/kafkafn/shared/config"},
		{"github.com/kafkafn/kafkafn/shared/config", "github.com/segmentio/kafka-go"},
	}
	for _, tt := range tests {
		t.Run(tt.pkg+" does not depend on "+tt.without, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.pkg, err)
			}
			for _, d := range strings.Fields(string(out)) {
				if d == tt.without || strings.HasPrefix(d, tt.without+"/") {
					t.Errorf("depends on %s", d)
				}
			}
		})
	}
}
