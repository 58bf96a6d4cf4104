// Package deploycheck holds no code, only a small static check of
// docker-compose.yml and the Dockerfile (no container engine runs here):
// images are pinned and follow the pinned temporal CLI and Mailpit, the
// worker's variables are ones the code reads and its configuration validates,
// the codec endpoint and Mailpit are wired to the worker, and the Dockerfile
// builds the repository's main packages with go.mod's Go version.
package deploycheck
