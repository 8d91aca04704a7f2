// Command list-topics is the list-topics function: one binary that runs on AWS Lambda, Tencent SCF,
// Azure Functions or as a local HTTP server, chosen from the environment at start.
package main

import (
	"fmt"
	"os"

	"github.com/kafkafn/kafkafn/functions/listtopics"
	"github.com/kafkafn/kafkafn/shared/platform/launch"
)

func main() {
	if err := launch.Start("list-topics", listtopics.Build); err != nil {
		fmt.Fprintln(os.Stderr, "list-topics:", err)
		os.Exit(1)
	}
}
