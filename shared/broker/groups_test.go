package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

func TestGroupOffsets(t *testing.T) {
	bc := brokertest.NewCluster(t, kfake.SeedTopics(3, "events")).Client(t)
	ctx := t.Context()
	t.Run("a group that never existed has no commits", func(t *testing.T) {
		got, err := bc.CommittedOffsets(ctx, "never", "events", []int{0, 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		for p, off := range got {
			if off != broker.NoCommit {
				t.Fatalf("partition %d: %d", p, off)
			}
		}
	})
	t.Run("commits without membership are stored per partition", func(t *testing.T) {
		if err := bc.CommitOffsets(ctx, "g", "events", map[int]int64{0: 7, 2: 3}); err != nil {
			t.Fatal(err)
		}
		got, err := bc.CommittedOffsets(ctx, "g", "events", []int{0, 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != 7 || got[1] != broker.NoCommit || got[2] != 3 {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("a later commit replaces an earlier one", func(t *testing.T) {
		if err := bc.CommitOffsets(ctx, "g", "events", map[int]int64{0: 9}); err != nil {
			t.Fatal(err)
		}
		got, _ := bc.CommittedOffsets(ctx, "g", "events", []int{0})
		if got[0] != 9 {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("committing nothing is a no-op", func(t *testing.T) {
		if err := bc.CommitOffsets(ctx, "g", "events", nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCommitToAGroupWithLiveMembersIsAConflict(t *testing.T) {
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "events"))
	bc, err := broker.New(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bc.Close)
	// A regular consumer (franz-go) joins the group and stays a member.
	member, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup("live"), kgo.ConsumeTopics("events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(member.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		poll, stop := context.WithTimeout(ctx, 200*time.Millisecond)
		member.PollFetches(poll) // joins the group in the background
		stop()
		if ctx.Err() != nil {
			t.Fatal("the consumer did not join its group")
		}
		if _, gen := member.GroupMetadata(); gen >= 0 {
			break
		}
	}
	err = bc.CommitOffsets(t.Context(), "live", "events", map[int]int64{0: 1})
	if apierr.KindOf(err) != apierr.Conflict {
		t.Fatalf("err = %v (%v), want a Conflict", err, apierr.KindOf(err))
	}
}
