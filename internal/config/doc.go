// Package config reads Rostersync's environment once, applies defaults and
// validates it, so the worker and the starter agree on every name and default.
package config
