// Package justworks is Rostersync's only speaker of the Justworks HTTP contract
// (../shared/justworks-api.md): two-step login with a TOTP code, member pages,
// typed errors and a client-side rate limit. Nothing outside this package knows
// an endpoint, a status code or an error code of Justworks, so the real endpoint
// mapping can replace the contract without touching workflows or activities.
package justworks
