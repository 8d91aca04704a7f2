package broker_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// TestSCRAMPasswordBytes: the salted password is derived from the password's bytes as they
// are, as Kafka (and kfake) derive it, never SASLprepped. kafka-go's SCRAM (xdg-go/scram)
// failed every case but the plain one: SASLprep maps the no-break space and "ﬁ", and
// prohibits the control character.
func TestSCRAMPasswordBytes(t *testing.T) {
	users := []struct{ mechanism, user, password string }{
		{broker.SASLScramSHA256, "plain", "s3cret"},
		{broker.SASLScramSHA256, "nbsp", "pass\u00a0word"},
		{broker.SASLScramSHA512, "ligature", "\ufb01x-pässwörd"},
		{broker.SASLScramSHA512, "a,b=c", "bell\x07"},
	}
	opts := []kfake.Opt{kfake.SeedTopics(1, "events"), kfake.EnableSASL()}
	for _, u := range users {
		opts = append(opts, kfake.Superuser(u.mechanism, u.user, u.password))
	}
	c := brokertest.NewCluster(t, opts...)
	for _, u := range users {
		t.Run(u.user, func(t *testing.T) {
			for _, password := range []string{u.password, u.password + "x"} {
				cfg := c.Config
				cfg.DialTimeout, cfg.RequestTimeout = 2*time.Second, 4*time.Second
				cfg.SASLMechanism, cfg.SASLUsername, cfg.SASLPassword = u.mechanism, u.user, password
				bc, err := broker.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				_, err = bc.Produce(ctx(t), "events", []broker.Record{{Partition: 0, Value: []byte("x")}})
				bc.Close()
				if right := password == u.password; right != (err == nil) {
					t.Errorf("password %q: produce error %v", password, err)
				}
			}
		})
	}
}
