package domain

// StartedVia says how a sync was started. It travels in the workflow input
// (started_via) and is recorded with the run. Only the console's value rests
// on a verified sign-in; every other start is an operator's (whoever can
// write to the Temporal namespace or the database), see docs/security.md.
type StartedVia string

const (
	// StartedViaConsole: a signed-in console user pressed "Sync now"; the
	// requester is the verified user.
	StartedViaConsole StartedVia = "console"
	// StartedViaSchedule: the org's daily Temporal Schedule (DailySync).
	StartedViaSchedule StartedVia = "schedule"
	// StartedViaCLI: `starter sync`; the requester is whatever --as said.
	StartedViaCLI StartedVia = "cli"
	// StartedViaOperator: any other start (Temporal Web's start form, the
	// temporal CLI, an SDK client) that did not say how; input as typed.
	StartedViaOperator StartedVia = "operator"
)

// StartedViaOf is how a recorded start is named: an empty or unknown value
// (an input typed in Temporal Web, a run recorded before the field existed)
// is an operator's start.
func StartedViaOf(s string) StartedVia {
	switch v := StartedVia(s); v {
	case StartedViaConsole, StartedViaSchedule, StartedViaCLI, StartedViaOperator:
		return v
	}
	return StartedViaOperator
}

// Label is how people read it.
func (v StartedVia) Label() string {
	switch v {
	case StartedViaConsole:
		return "console"
	case StartedViaSchedule:
		return "daily schedule"
	case StartedViaCLI:
		return "CLI (operator)"
	}
	return "Temporal Web or API (operator)"
}
