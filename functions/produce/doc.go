// Package produce serves the produce function: HTTP records into Kafka topics through the
// HDInsight Kafka REST proxy's produce operation (and, as other issues land, the Tencent
// CKafka DataHub SendMessage action and webhook ingestion).
//
// Every record of a request is decoded and validated before anything is sent to Kafka; the
// whole batch is produced with acks=all; a 200 answer lists only offsets Kafka acknowledged.
package produce
