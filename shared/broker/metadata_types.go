package broker

import (
	"github.com/segmentio/kafka-go"
)

// BrokerInfo describes one broker, in HDInsight's BrokerEndpoint shape.
type BrokerInfo struct {
	ID   int
	Host string
	Port int
	Rack string
}

// PartitionInfo describes one partition with its offset range.
type PartitionInfo struct {
	ID       int
	Leader   BrokerInfo
	Replicas []BrokerInfo
	ISR      []BrokerInfo
	Earliest int64 // log start offset
	Latest   int64 // high watermark: the offset the next record will get
}

// OffsetRange is a partition's log start and end.
type OffsetRange struct {
	Earliest int64
	Latest   int64
}

func brokerInfo(b kafka.Broker) BrokerInfo {
	return BrokerInfo{ID: b.ID, Host: b.Host, Port: b.Port, Rack: b.Rack}
}

func brokerInfos(bs []kafka.Broker) []BrokerInfo {
	out := make([]BrokerInfo, 0, len(bs))
	for _, b := range bs {
		out = append(out, brokerInfo(b))
	}
	return out
}
