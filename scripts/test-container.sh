#!/usr/bin/env bash
# `npm run test:container`: builds and runs the deployment artefacts
# (Dockerfile, docker-compose.yml, deploy/kubernetes/) with the tests in
# test/container/, one file at a time (they share one image and one engine).
#
# scripts/container-env.sh prepares the engine first. If it cannot, the tests
# say so and fail under CI (CI=true), or skip with a message elsewhere.
# Containers and images the tests made (label trulioo-mtls-sidecar.test=1)
# are removed at the end, whatever the outcome.
set -uo pipefail
cd "$(dirname "$0")/.."

LABEL="trulioo-mtls-sidecar.test=1"
if DOCKER="$(bash scripts/container-env.sh)"; then
  export CONTAINER_DOCKER="$DOCKER"
else
  export CONTAINER_ENGINE_ERROR="scripts/container-env.sh failed (see its messages above)"
  DOCKER=""
fi

npx tsc -p tsconfig.json && npx tap --jobs=1 --timeout=600 --disable-coverage --exclude= .build/test/container/*.test.js
rc=$?

if [ -n "$DOCKER" ]; then
  ids="$("$DOCKER" ps -aq --filter "label=$LABEL")"
  [ -z "$ids" ] || "$DOCKER" rm -f -v $ids >/dev/null
  images="$("$DOCKER" images -q --filter "label=$LABEL" | sort -u)"
  [ -z "$images" ] || "$DOCKER" rmi -f $images >/dev/null 2>&1 || true
fi
exit "$rc"
