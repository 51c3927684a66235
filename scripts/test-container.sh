#!/usr/bin/env bash
# `npm run test:container`: builds and runs the deployment artefacts
# (Dockerfile, docker-compose.yml, deploy/kubernetes/) with the tests in
# test/container/, one file at a time (they share one image and one engine).
#
# The engine, in this order, and the script says which it took:
#   1. one that already answers `docker info` as the current user (the client
#      $CONTAINER_DOCKER, else `docker` on PATH, else /usr/bin/docker; the
#      last two are $CONTAINER_DOCKER_CANDIDATES): used as it is, nothing
#      installed, no root needed;
#   2. otherwise, as root on Debian, scripts/container-env.sh prepares one
#      (Debian's docker.io and docker-compose, dockerd, a local stand-in for
#      the base image where no image registry is reachable);
#   3. otherwise none: the tests say so, and fail under CI (CI=true).
# CONTAINER_ENGINE_ONLY=1 stops after the choice (prints the client on stdout).
# Containers and images the tests made (label trulioo-mtls-sidecar.test=1)
# are removed at the end, whatever the outcome.
set -uo pipefail
cd "$(dirname "$0")/.."

LABEL="trulioo-mtls-sidecar.test=1"
PREPARE="${CONTAINER_ENV_SCRIPT:-scripts/container-env.sh}"
say() { printf '[test-container] %s\n' "$*" >&2; }

running_engine() {
  local candidate path
  for candidate in ${CONTAINER_DOCKER:-} ${CONTAINER_DOCKER_CANDIDATES:-docker /usr/bin/docker}; do
    path="$(command -v "$candidate" 2>/dev/null)" || continue
    if "$path" info >/dev/null 2>&1; then printf '%s\n' "$path"; return 0; fi
  done
  return 1
}

DOCKER=""
if DOCKER="$(running_engine)"; then
  say "using the container engine already running: $DOCKER ($("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null || echo '?')), as $(id -un)"
elif [ "$(id -u)" -eq 0 ] && [ -r /etc/debian_version ]; then
  say "no container engine answers: preparing one with $PREPARE (root, Debian)"
  if ! DOCKER="$(bash "$PREPARE")"; then
    DOCKER=""
    export CONTAINER_ENGINE_ERROR="$PREPARE failed (see its messages above)"
  fi
else
  export CONTAINER_ENGINE_ERROR="no container engine answers 'docker info' as $(id -un), and preparing one needs root on Debian (scripts/container-env.sh)"
  say "$CONTAINER_ENGINE_ERROR"
fi
[ -z "$DOCKER" ] || export CONTAINER_DOCKER="$DOCKER"

if [ "${CONTAINER_ENGINE_ONLY:-0}" = "1" ]; then
  [ -n "$DOCKER" ] && printf '%s\n' "$DOCKER"
  [ -n "$DOCKER" ]
  exit
fi

# compiled tests of files since deleted would still run: start the folder afresh
rm -rf .build/test/container
npx tsc -p tsconfig.json && npx tap --jobs=1 --timeout=900 --disable-coverage --exclude= .build/test/container/*.test.js
rc=$?

if [ -n "$DOCKER" ]; then
  ids="$("$DOCKER" ps -aq --filter "label=$LABEL")"
  [ -z "$ids" ] || "$DOCKER" rm -f -v $ids >/dev/null
  images="$("$DOCKER" images -q --filter "label=$LABEL" | sort -u)"
  [ -z "$images" ] || "$DOCKER" rmi -f $images >/dev/null 2>&1 || true
fi
exit "$rc"
