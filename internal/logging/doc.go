// Package logging builds the process's zap logger and adapts it to the Temporal
// SDK's logger interface, so SDK and Rostersync lines share one format.
package logging
