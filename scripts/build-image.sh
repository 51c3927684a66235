#!/usr/bin/env bash
# `npm run image [-- docker build options]`: builds the image from the public
# Dockerfile with its OCI labels filled in, from this tree:
#   VERSION   package.json's version (the one value; the build checks it)
#   REVISION  the git commit (with "-dirty" when the tree has changes), if any
#   SOURCE    $IMAGE_SOURCE, else the git remote "origin", if any
# and, on a TLS-intercepting network, the CA npm must trust during the build
# (never in the image): NPM_CA_FILE=/path/ca.pem; else $NODE_EXTRA_CA_CERTS
# when it is small; else the CAs added to this host in
# /usr/local/share/ca-certificates (Debian's place for local CAs). A build
# argument is one command-line argument, so it must stay well under 128 KiB:
# the proxy's own CA, not a whole system bundle (node adds it to its roots).
#
#   npm run image -- -t REGISTRY/trulioo-mtls-sidecar:0.1.0
#
# DOCKER picks the client (default: docker). Works with BuildKit and with the
# classic builder (DOCKER_BUILDKIT=0). Prints the docker build output only.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER="${DOCKER:-docker}"
version="$(node -p 'require("./package.json").version')"
revision=""
source="${IMAGE_SOURCE:-}"
if git rev-parse --git-dir >/dev/null 2>&1; then
  revision="$(git rev-parse HEAD)"
  git diff --quiet HEAD -- 2>/dev/null || revision="${revision}-dirty"
  [ -n "$source" ] || source="$(git remote get-url origin 2>/dev/null || true)"
fi
ca=""
if [ -n "${NPM_CA_FILE:-}" ]; then
  [ -r "$NPM_CA_FILE" ] || { echo "build-image: cannot read NPM_CA_FILE=$NPM_CA_FILE" >&2; exit 1; }
  ca="$(cat "$NPM_CA_FILE")"
elif [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ] && [ "$(wc -c < "$NODE_EXTRA_CA_CERTS")" -lt 65536 ]; then
  ca="$(cat "$NODE_EXTRA_CA_CERTS")"
elif compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  ca="$(cat /usr/local/share/ca-certificates/*.crt)"
fi

args=(build --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source")
[ -z "$ca" ] || args+=(--build-arg "NPM_CA=$ca")
has_tag=0
for a in "$@"; do case "$a" in -t|--tag|-t*|--tag=*) has_tag=1;; esac; done
[ "$has_tag" -eq 1 ] || args+=(-t "trulioo-mtls-sidecar:$version")
exec "$DOCKER" "${args[@]}" "$@" .
