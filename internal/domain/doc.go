// Package domain owns the words every layer of Rostersync shares: the outcome
// of a sync and its counts, the kinds of change, the email's sections, the
// steps of a sync, the error types callers decide on, and access levels with
// the one access policy. store, mail, activities, workflows, the starter and
// the console use these types; none keeps a copy of them.
//
// It imports nothing of Rostersync and does no I/O.
package domain
