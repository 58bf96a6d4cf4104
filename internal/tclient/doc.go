// Package tclient dials Temporal the same way in the worker and the starter:
// with the payload codec (so every payload in history is encrypted), the zap
// logger, and optionally a metrics handler.
package tclient
