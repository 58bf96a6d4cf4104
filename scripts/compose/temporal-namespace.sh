#!/bin/sh
# Run by docker-compose.yml's temporal-namespace service once the server is
# up: creates the namespace the worker uses, unless it exists.
set -eu
ns=${TEMPORAL_NAMESPACE:-default}
until temporal operator cluster health >/dev/null 2>&1; do sleep 2; done
temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$ns" --retention "${NAMESPACE_RETENTION:-7d}"
echo "namespace $ns is ready"
