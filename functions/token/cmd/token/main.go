// Command token is the token function: POST /v1/token hands out Entra ID client-credentials
// tokens. One binary runs on AWS Lambda, Tencent SCF, Azure Functions or as a local HTTP
// server, chosen from the environment at start. It links MSAL and no Kafka client.
package main

import (
	"fmt"
	"os"

	"github.com/kafkafn/kafkafn/functions/token"
	"github.com/kafkafn/kafkafn/shared/platform/launch"
)

func main() {
	if err := launch.Start("token", token.Build); err != nil {
		fmt.Fprintln(os.Stderr, "token:", err)
		os.Exit(1)
	}
}
