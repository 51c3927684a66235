# trulioo-mtls-sidecar container image.
#
#   docker build .                      # BuildKit or the classic builder: both work
#   npm run image                       # the same, with the labels filled in (scripts/build-image.sh)
#
# Two stages: `build` compiles TypeScript with the dev dependencies, then drops
# them; the runtime stage gets dist/, bin/, package.json and the production
# node_modules only. No secret is ever copied in: certificate, key, passphrase
# and NAPI credentials are mounted at run time and named by *_FILE variables.
#
# Behind a TLS-intercepting network npm fails with SELF_SIGNED_CERT_IN_CHAIN:
# give the network's CA (PEM text, public, not a secret) as a build argument,
#   docker build --build-arg NPM_CA="$(cat /path/to/ca.pem)" .
# It is used by `npm ci` in the build stage only: the runtime image neither
# holds nor trusts it. (An argument, not a BuildKit secret mount: `RUN --mount`
# stops the classic builder at once.)
#
# Labels: VERSION must be package.json's version (the build stops otherwise);
# REVISION and SOURCE say which commit and repository it was built from.

FROM node:24-bookworm-slim AS build
ARG NPM_CA=""
ARG VERSION=""
WORKDIR /app
COPY package.json package-lock.json ./
# The label must not lie: a VERSION that is not package.json's stops the build.
RUN actual="$(node -p 'require("./package.json").version')" \
 && if [ -n "$VERSION" ] && [ "$VERSION" != "$actual" ]; then \
      echo "VERSION=$VERSION but package.json says $actual" >&2; exit 1; fi
RUN if [ -n "$NPM_CA" ]; then \
      printf '%s\n' "$NPM_CA" > /tmp/npm-ca.pem && export NODE_EXTRA_CA_CERTS=/tmp/npm-ca.pem; fi; \
    npm ci --ignore-scripts --no-audit --no-fund; status=$?; \
    rm -f /tmp/npm-ca.pem; exit $status
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle.mjs scripts/undici-slim.cjs ./scripts/
# Some packages ship their own test fixtures, keys among them
# (@fastify/reply-from/test/fixtures/fastify.key): no key-shaped file, real or
# not, goes into the image, so a scanner (or a person) never has to wonder.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && find dist -name '*.map' -delete \
 && find node_modules -type f \( -name '*.key' -o -name '*.pem' -o -name '*.crt' \
      -o -name '*.p12' -o -name '*.pfx' -o -name '*.csr' \) -print -delete \
 && find node_modules -type d -empty -delete

FROM node:24-bookworm-slim
ARG VERSION=""
ARG REVISION=""
ARG SOURCE=""
LABEL org.opencontainers.image.title="trulioo-mtls-sidecar" \
      org.opencontainers.image.description="HTTP on localhost in, mutual TLS to Trulioo out" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
# Inside a container "localhost" is the container itself: listen on every
# interface so the app (compose network, pod) can reach it, on purpose. The
# sidecar logs a warning when the proxy does so without PROXY_AUTH_TOKEN.
ENV NODE_ENV=production \
    LISTEN_HOST=0.0.0.0 \
    LISTEN_PORT=8080 \
    ADMIN_HOST=0.0.0.0 \
    ADMIN_PORT=9090
WORKDIR /app
# Owned by root and read-only for the runtime user: nothing is written at run
# time (logs go to stdout), so --read-only / readOnlyRootFilesystem just work.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY package.json ./
USER 1000:1000
EXPOSE 8080 9090
# Liveness only (never the upstream): a tiny subcommand, so no curl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
    CMD ["node", "/app/bin/trulioo-mtls-sidecar.js", "healthcheck"]
# Exec form: node is PID 1 and receives SIGTERM itself; `serve` drains
# requests in flight for up to SHUTDOWN_GRACE_MS and exits 0.
# `--` ends Node's own options: without it Node scans every argument for
# `--env-file` (even after the script), opens that file itself before the
# sidecar can check it, and applies a NODE_OPTIONS line found in it.
# --disable-sigusr1 (Node >= 22.14): `kill -USR1` never opens the inspector,
# from which anyone allowed to signal node could read the key out of memory.
ENTRYPOINT ["node", "--disable-sigusr1", "--", "/app/bin/trulioo-mtls-sidecar.js"]
CMD ["serve"]
