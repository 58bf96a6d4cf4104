// Package activities holds the Temporal activities of a sync. Each method does
// one step by calling internal/ packages, and translates their failures into
// Temporal errors that say whether a retry can help (errors.go). Activities are
// the only place where secrets are opened: credentials are read sealed from the
// store and decrypted in worker memory, never passed through history.
package activities
