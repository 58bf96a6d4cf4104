// Package workflows holds Rostersync's Temporal workflows. Code here is
// deterministic: time, sleeps and goroutines come from the workflow package,
// and all I/O happens in activities. Inputs and results are small and carry
// no member data and no secret, so history does not grow with the org.
package workflows
