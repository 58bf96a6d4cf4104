package domain

// ErrorType is the type of a sync's failure (a Temporal ApplicationError's
// type): stable, so callers decide on it (the starter exits 3 on
// ErrTypeAccessDenied) and operators can search for it.
type ErrorType string

// Error types of non-retryable failures, each fixed by an operator, and of
// the retryable Justworks outage.
const (
	ErrTypeBadInput           ErrorType = "BadInput"              // the workflow's input is malformed
	ErrTypeAccessDenied       ErrorType = "AccessDenied"          // the requester may not sync
	ErrTypeOrgNotFound        ErrorType = "OrgNotFound"           // no such org is configured
	ErrTypeLoginBlocked       ErrorType = "JustworksLoginBlocked" // an earlier verdict stopped logins
	ErrTypeLoginUnheard       ErrorType = "JustworksLoginUnheard" // the login guard: password steps got no verdict
	ErrTypeBadCredentials     ErrorType = "JustworksBadCredentials"
	ErrTypeBadTOTP            ErrorType = "JustworksBadTOTP"
	ErrTypeAccountLocked      ErrorType = "JustworksAccountLocked"
	ErrTypeForbidden          ErrorType = "JustworksForbidden"
	ErrTypeJustworksRequest   ErrorType = "JustworksBadRequest"
	ErrTypeJustworksRetryable ErrorType = "JustworksUnavailable"
	ErrTypeHeadNotFound       ErrorType = "HeadNotFound"
	ErrTypeHeadAmbiguous      ErrorType = "HeadAmbiguous"
	ErrTypeBadRoster          ErrorType = "BadRoster"
	ErrTypeConfig             ErrorType = "Configuration"
	ErrTypeSyncFailed         ErrorType = "SyncFailed" // a failure without a type of its own
)

// NamesPeople says whether failures of this type quote employees' names (the
// configured head, the closest active names). Their message belongs in the
// run's history (encrypted) and the summary email, never in the worker's
// logs: the SDK's log adapter writes only the type (internal/logging).
func (t ErrorType) NamesPeople() bool {
	return t == ErrTypeHeadNotFound || t == ErrTypeHeadAmbiguous
}
