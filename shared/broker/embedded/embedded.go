// Package embedded runs an in-process Kafka broker (franz-go's kfake) for local development,
// so a newcomer can run every route with no Kafka installed. Only the local all-routes binary
// links it; cloud binaries never do.
package embedded

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Start starts a one-broker cluster on 127.0.0.1. With dataDir set, topics, records and
// committed offsets persist there across restarts; otherwise everything is in memory.
func Start(dataDir string) (*kfake.Cluster, error) {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.DefaultNumPartitions(3), kfake.ClusterID("kafkafn-embedded")}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded: start kfake: %w", err)
	}
	return c, nil
}
