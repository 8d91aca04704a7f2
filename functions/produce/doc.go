// Package produce serves the produce function: HTTP records into Kafka topics through the
// HDInsight Kafka REST proxy's produce operation (hdinsight.go; hdinsight_fast.go reads the
// common bodies, hdinsight_decode.go every other; hdinsight_answer.go writes the 200), the
// Tencent CKafka DataHub SendMessage action and webhook ingestion (webhook.go); trace.go
// copies W3C trace context into record headers.
//
// SendMessage is split by job: ckafka.go is the handler, ckafka_decode.go the body decoder,
// ckafka_errors.go the Tencent error codes and the envelope every answer is written in (with
// the RequestId fallback), ckafka_config.go CKafkaDeps and its environment cross-checks.
//
// Every record of a request is decoded and validated before anything is sent to Kafka; the
// whole batch is produced with acks=all; an answer lists only offsets Kafka acknowledged, and
// a failure after some partitions acknowledged their records says which ones did.
package produce
