# syntax=docker/dockerfile:1
#
# Rostersync's image: the worker (default entrypoint), the starter CLI and the
# Justworks sandbox, static binaries on distroless (no shell, runs as nonroot).
#
#   docker build -t rostersync:local .
#   docker run --rm rostersync:local                      # the worker (needs its env, see docker-compose.yml)
#   docker run --rm --entrypoint starter rostersync:local status --org demo
#
# docker-compose.yml builds it for the trial stack. GO_VERSION follows go.mod's
# `go` line (internal/deploycheck checks that, and that the packages built here
# are exactly the repository's main packages). VERSION is what --version prints:
#   docker build --build-arg VERSION=1.4.0 --build-arg REVISION=$(git rev-parse HEAD) -t rostersync:1.4.0 .

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Dependencies first, so a source change does not download modules again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X github.com/rostersync/rostersync/internal/version.Version=${VERSION}" -o /out/ \
      ./worker \
      ./starter \
      ./internal/sandbox/cmd/justworks-sandbox
# The sandbox's --write-secrets directory: a named volume mounted here starts
# out owned by nonroot, so the sandbox can write and the starter can read.
RUN mkdir -p /out/sandbox-secrets

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="rostersync" \
      org.opencontainers.image.description="Syncs an org chart from Justworks into PostgreSQL on Temporal: worker, starter CLI, Justworks sandbox" \
      org.opencontainers.image.source="https://github.com/rostersync/rostersync" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/worker /out/starter /out/justworks-sandbox /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/sandbox-secrets /var/lib/justworks-sandbox
USER 65532:65532
# Codec endpoint and Prometheus metrics. The worker binds them to 127.0.0.1 by
# default; set ROSTERSYNC_CODEC_ADDR / ROSTERSYNC_METRICS_ADDR to 0.0.0.0:PORT
# to reach them from outside the container (docker-compose.yml does).
EXPOSE 8081 9090
ENTRYPOINT ["/usr/local/bin/worker"]
