// Command consume-window is the consume-window function: one binary that runs on AWS Lambda, Tencent SCF,
// Azure Functions or as a local HTTP server, chosen from the environment at start.
package main

import (
	"fmt"
	"os"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/shared/platform/launch"
)

func main() {
	if err := launch.Start("consume-window", consumewindow.Build); err != nil {
		fmt.Fprintln(os.Stderr, "consume-window:", err)
		os.Exit(1)
	}
}
