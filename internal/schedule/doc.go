// Package schedule keeps each org's daily Temporal Schedule in step with its
// configuration: created or updated idempotently, paused when daily sync is off.
package schedule
