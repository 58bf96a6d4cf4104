package domain

// Step is one step of a sync, as the progress query and Temporal Web show it.
type Step string

// The steps of a sync, in order.
const (
	StepAuthorize Step = "authorize"
	StepLogin     Step = "login"
	StepFetch     Step = "fetch"
	StepResolve   Step = "resolve"
	StepApply     Step = "apply"
	StepNotify    Step = "notify"
	StepDone      Step = "done"
)
