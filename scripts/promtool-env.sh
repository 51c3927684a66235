#!/usr/bin/env bash
# promtool-env.sh — prints the path of a `promtool` (Prometheus' rule and
# metrics checker) on stdout, for test/prometheus-alerts.test.ts; progress
# goes to stderr, saying which of these it did:
#   1. `promtool` on PATH: used as it is;
#   2. one extracted earlier into $PROMTOOL_CACHE: used as it is;
#   3. otherwise, on Debian: `apt-get download prometheus` (the package with
#      promtool; run `apt-get update` first when root and the lists are
#      missing) and `dpkg-deb -x` into $PROMTOOL_CACHE. The package is not
#      installed: its maintainer scripts would start a Prometheus server on
#      port 9090, the sidecar's admin port. promtool is a static binary.
# Exit 1, with the reason on stderr, when none of these works.
#   PROMTOOL_CACHE  default ${XDG_CACHE_HOME:-$HOME/.cache}/trulioo-mtls-sidecar/promtool
set -euo pipefail

say() { printf '[promtool-env] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
CACHE="${PROMTOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trulioo-mtls-sidecar/promtool}"

if path="$(command -v promtool 2>/dev/null)"; then
  say "using promtool on PATH: $path"
  printf '%s\n' "$path"; exit 0
fi
if [ -x "$CACHE/root/usr/bin/promtool" ]; then
  say "using promtool extracted earlier: $CACHE/root/usr/bin/promtool"
  printf '%s\n' "$CACHE/root/usr/bin/promtool"; exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "no promtool on PATH, and no apt-get/dpkg-deb to fetch Debian's (install Prometheus' promtool)"

mkdir -p "$CACHE/dl"
say "fetching Debian's prometheus package for its promtool (not installing it) into $CACHE"
if ! (cd "$CACHE/dl" && apt-get download prometheus >&2 2>"$CACHE/apt.log"); then
  if [ "$(id -u)" -eq 0 ]; then
    say "apt-get download failed; apt-get update, then again"
    apt-get update -qq >&2 || die "apt-get update failed"
    (cd "$CACHE/dl" && apt-get download prometheus >&2) || die "apt-get download prometheus failed"
  else
    die "apt-get download prometheus failed (the package lists may need 'apt-get update' as root): $(tail -n 2 "$CACHE/apt.log" | tr '\n' ' ')"
  fi
fi
deb="$(ls "$CACHE"/dl/prometheus_*.deb | sort -V | tail -n 1)"
rm -rf "$CACHE/root.tmp"
dpkg-deb -x "$deb" "$CACHE/root.tmp" || die "dpkg-deb -x $deb failed"
rm -rf "$CACHE/root" && mv "$CACHE/root.tmp" "$CACHE/root"
rm -f "$CACHE"/dl/*.deb
"$CACHE/root/usr/bin/promtool" --version >/dev/null 2>&1 || die "the extracted promtool does not run"
say "promtool ready: $CACHE/root/usr/bin/promtool ($("$CACHE/root/usr/bin/promtool" --version 2>&1 | head -n 1))"
printf '%s\n' "$CACHE/root/usr/bin/promtool"
