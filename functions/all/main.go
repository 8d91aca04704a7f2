// Command all serves every kafkafn route from one binary: the Azure function app's custom
// handler, and local development, where it starts an embedded Kafka broker when
// KAFKA_BROKERS is not set.
package main

import (
	"fmt"
	"os"

	"github.com/kafkafn/kafkafn/functions/all/allroutes"
	"github.com/kafkafn/kafkafn/shared/platform/launch"
)

func main() {
	if err := launch.Start("all", allroutes.Build); err != nil {
		fmt.Fprintln(os.Stderr, "kafkafn:", err)
		os.Exit(1)
	}
}
