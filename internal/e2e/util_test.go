package e2e

import (
	"os"

	"go.temporal.io/sdk/client"
)

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

func clientTrigger() client.ScheduleTriggerOptions { return client.ScheduleTriggerOptions{} }

var osReadFile = os.ReadFile

func clientPause() client.SchedulePauseOptions {
	return client.SchedulePauseOptions{Note: "paused by an operator in Temporal Web"}
}
