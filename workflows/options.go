package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Retry budgets. Justworks steps retry for up to half a day, so an outage
// ends with the sync finishing by itself; non-retryable errors (bad
// credentials, refused access, a bad head) stop at once whatever the policy.
const justworksBudget = 12 * time.Hour

// fetchHeartbeat is how long a fetch may go without a heartbeat before the
// server retries it elsewhere (a crashed worker). The fetch heartbeats after
// every page and every few seconds while the client waits (Retry-After, TOTP
// step); one request is bounded by the worker's HTTP timeout (worker/main.go).
const fetchHeartbeat = 30 * time.Second

// applyHeartbeat is the apply's heartbeat timeout: the apply heartbeats every
// 5 s while its transaction runs, so a killed worker's apply is retried after
// this long, and a terminated run's apply learns of it and rolls back.
const applyHeartbeat = 30 * time.Second

// loginAttempts caps the login's attempts. Each sends at most one password
// step, and only with the login guard's leave (activities/loginguard.go): two
// unheard steps, a cool-down, one more; the cap keeps a login that Justworks
// keeps refusing (429s, an endpoint that never answers the probe) from
// retrying for the whole budget.
const loginAttempts = 8

// loginHeartbeat: the login heartbeats between its steps and in its waits, so
// a crashed worker's login is retried within this, and a live one is never
// taken for dead while a second attempt starts beside it.
const loginHeartbeat = 30 * time.Second

func loginOptions(summary string) workflow.ActivityOptions {
	o := justworksOptions(summary, 2*time.Minute, loginHeartbeat)
	o.RetryPolicy.MaximumAttempts = loginAttempts
	return o
}

func localOptions(summary string, startToClose time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: startToClose,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    10,
		},
	}
}

func justworksOptions(summary string, startToClose, heartbeat time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		Summary:                summary,
		StartToCloseTimeout:    startToClose,
		ScheduleToCloseTimeout: justworksBudget,
		HeartbeatTimeout:       heartbeat,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
		},
	}
}

func notifyOptions(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		Summary:                summary,
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: 2 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    10 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Minute,
		},
	}
}
