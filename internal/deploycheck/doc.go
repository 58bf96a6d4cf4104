// Package deploycheck holds no code, only tests: they keep docker-compose.yml,
// the Dockerfile and .dockerignore in step with the code and the project's
// pinned versions, without a container engine.
//
// They check, among other things, that every variable the worker reads is
// passed to it (and the required ones are set, so config.ValidateWorker
// passes), that the codec and metrics endpoints listen on all interfaces and
// are published, that Temporal Web's codec endpoint and origins match the
// worker's, that database, Temporal and SMTP addresses point at services with
// matching credentials, that image tags follow scripts/tools.sh (the temporal
// CLI's Server and UI versions, Mailpit), and that the Dockerfile builds exactly
// the repository's main packages with go.mod's Go version. When the docker
// compose plugin is installed they also run `docker compose config`.
package deploycheck
