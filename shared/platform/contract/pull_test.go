package contract_test

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// TestScheduledPulls fires each platform's timer event at the all-routes binary with
// scheduled pulls on (log sink): the record produced before must appear in the binary's
// output, pulled by the timer.
func TestScheduledPulls(t *testing.T) {
	const pkg = "functions/all"
	if !exists(pkg) {
		t.Skip(pkg + " does not exist yet")
	}
	bin := binary(t, pkg)
	cluster := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders"))
	tests := []struct {
		name string
		run  func(t *testing.T, env []string, auth map[string]string, value string) *proc
	}{
		{"an EventBridge schedule on AWS Lambda", func(t *testing.T, env []string, auth map[string]string, value string) *proc {
			rt := newFakeRuntime(t)
			p := start(t, bin, append(env, "AWS_LAMBDA_RUNTIME_API="+rt.Addr())...)
			if r := rt.invokeHTTP(t, p, v2Event("POST", "/v1/producer/topics/orders", "", `{"records":[{"value":"`+value+`"}]}`, lower(auth))); r.StatusCode != 200 {
				t.Fatalf("produce: %+v", r)
			}
			if res := rt.invoke(t, p, fixture(t, "../awslambda/testdata/aws_schedule.json"), time.Now().Add(time.Minute)); res.kind != "response" {
				t.Fatalf("schedule: %s %s", res.kind, res.body)
			}
			return p
		}},
		{"a timer trigger on a Tencent SCF event function", func(t *testing.T, env []string, auth map[string]string, value string) *proc {
			s := startSCF(t, bin, nil, env...)
			if r := s.invokeHTTP(t, scfEvent("POST", "/v1/producer/topics/orders", nil, `{"records":[{"value":"`+value+`"}]}`, lower(auth))); r.StatusCode != 200 {
				t.Fatalf("produce: %+v", r)
			}
			if resp := s.invoke(t, []byte(`{"Type":"Timer","TriggerName":"consume-window-pull","Time":"2026-11-21T10:05:00Z","Message":""}`)); resp.Error != nil {
				t.Fatalf("timer: %+v", *resp.Error)
			}
			return s.p
		}},
		{"a timerTrigger payload on Azure Functions", func(t *testing.T, env []string, auth map[string]string, value string) *proc {
			p, base := startAzure(t, bin, "FUNCTIONS_CUSTOMHANDLER_PORT", env...)
			h := map[string]string{"Content-Type": "application/json", "Authorization": auth["Authorization"]}
			if status, _, body := httpDo(t, "POST", base+"/v1/producer/topics/orders", []byte(`{"records":[{"value":"`+value+`"}]}`), h); status != 200 {
				t.Fatalf("produce: %d %s", status, body)
			}
			if status, _, body := httpDo(t, "POST", base+"/TimerConsumeWindow", fixture(t, "../azurefunc/testdata/azure_timer.json"), nil); status != 200 {
				t.Fatalf("timer: %d %s", status, body)
			}
			return p
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name+" pulls the topic into the log sink", func(t *testing.T) {
			a := entraAuth(t)
			value := "pulled-by-test-" + string(rune('a'+i))
			env := append(append(cluster.Env(), a.env...), "PULL_TOPIC=orders", "PULL_GROUP=pull-"+string(rune('a'+i)), "PULL_SINK=log")
			p := tt.run(t, env, a.header, value)
			if !strings.Contains(p.out.String(), value) {
				t.Fatalf("the pulled record %q is not in the output:\n%s", value, p.out.String())
			}
		})
	}
}
