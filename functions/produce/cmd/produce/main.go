// Command produce is the produce function: one binary that runs on AWS Lambda, Tencent SCF,
// Azure Functions or as a local HTTP server, chosen from the environment at start.
package main

import (
	"fmt"
	"os"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/shared/platform/launch"
)

func main() {
	if err := launch.Start("produce", produce.Build); err != nil {
		fmt.Fprintln(os.Stderr, "produce:", err)
		os.Exit(1)
	}
}
