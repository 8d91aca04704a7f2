// Package listtopics serves the list-topics function: the HDInsight Kafka REST proxy's
// metadata and topic-admin operations (topics, partitions with offsets, brokers, create
// topic) plus topic deletion, the status probe and the OpenAPI document.
package listtopics
