// Package consumewindow serves the consume-window function: stateless reads of a window of
// records. The HDInsight Kafka REST proxy's consume operation reads by partition and offset
// and pages with the NextOffset response header.
package consumewindow
