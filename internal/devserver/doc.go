// Package devserver holds only a smoke test: it proves that the Temporal dev
// server started by the test command (scripts/test.sh) answers and runs a
// workflow with an activity end to end.
package devserver
