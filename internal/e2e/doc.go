// Package e2e holds end-to-end tests: the real worker and starter binaries,
// the test command's Temporal dev server and PostgreSQL, the Justworks
// sandbox over HTTP, and a real SMTP peer, driven as a user drives them.
package e2e
