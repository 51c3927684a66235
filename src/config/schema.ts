import { Type, type Static, type TSchema } from '@sinclair/typebox'

/**
 * The single source of truth for every setting: name, type, default and the
 * one-line description that docs/configuration.md and config.example.env are
 * generated from (`npm run docs`, checked by test/config/config-docs.test.ts).
 */

export const DEFAULT_UPSTREAM_URL = 'https://mtls.primary.prod.trulioo.com'
export const DEFAULT_LISTEN_HOST = '127.0.0.1'
export const DEFAULT_LISTEN_PORT = 8080
export const DEFAULT_LISTEN_SOCKET_MODE = '0660'
export const DEFAULT_ADMIN_HOST = '127.0.0.1'
export const DEFAULT_ADMIN_PORT = 9090
export const DEFAULT_UPSTREAM_CONNECTIONS = 64
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
/**
 * Trulioo documents that a synchronous verification may take up to 120 s; a
 * 504 sooner cuts a call Trulioo goes on processing and billing, and invites
 * the application to send it again. 130 s leaves room for the network.
 */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 130_000
/** Between two body chunks: a download that stalls is still cut promptly. */
export const DEFAULT_UPSTREAM_BODY_TIMEOUT_MS = 60_000
export const DEFAULT_CLIENT_BODY_TIMEOUT_MS = 30_000
/**
 * Longer than the idle timeouts of the clients that ignore `Keep-Alive:
 * timeout=` (Go's net/http 90 s, libcurl 118 s), so that they close an idle
 * connection before the sidecar does; an idle connection on loopback costs
 * next to nothing. Node's own default, which applied until now, was 5 s.
 */
export const DEFAULT_CLIENT_KEEP_ALIVE_TIMEOUT_MS = 120_000
export const DEFAULT_UPSTREAM_QUEUE_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024
export const DEFAULT_LOG_LEVEL = 'info'
export const DEFAULT_CERT_EXPIRY_WARN_DAYS = 30
export const DEFAULT_SHUTDOWN_GRACE_MS = 25_000
/** Trulioo's OAuth2 token endpoint, for NAPI v3 and Workflow Studio. */
export const DEFAULT_TOKEN_URL = 'https://auth-api.trulioo.com/connect/token'
/**
 * The whole token call, connection to last byte: a token endpoint that stalls
 * or drips its answer must not hold the requests waiting on it for longer.
 */
export const DEFAULT_TOKEN_TIMEOUT_MS = 10_000
/**
 * Which scheme each path prefix uses (src/auth/auth-routes.ts). The default
 * table gives way: a route whose credentials are not configured yields to the
 * next shorter prefix, and in the end to pass-through.
 */
export const DEFAULT_AUTH_ROUTES = '/v3/=oauth2:napi.api,/wfs/=oauth2:workflow.studio.api,/=basic'
export const MAX_AUTH_ROUTES_LENGTH = 4096
/** Idempotency journal (src/journal/): how long a kept answer stays, and the bounds of what is kept. */
export const DEFAULT_IDEMPOTENCY_TTL_S = 86_400
export const DEFAULT_IDEMPOTENCY_WAIT_MS = 30_000
export const DEFAULT_IDEMPOTENCY_MAX_BYTES = 32 * 1024 * 1024
export const DEFAULT_IDEMPOTENCY_MAX_ANSWER_BYTES = 1024 * 1024
export const MAX_IDEMPOTENCY_TTL_S = 30 * 86_400
export const MAX_IDEMPOTENCY_ROUTES_LENGTH = 4096
/**
 * The calls that run a verification or a business search (src/journal/billable-routes.ts):
 * NAPI v1 verify, NAPI v3 verifications, a Workflow Studio submit, and NAPI v1's
 * KYB business search.
 */
export const DEFAULT_BILLABLE_ROUTES = 'POST /verifications/v1/verify,POST /v3/verifications/,POST /wfs/interpreter-v2/submit/,POST /business/v1/search'
/** How long a call to the shared journal store (Redis, Valkey) may take before a keyed request gets 503 IDEMPOTENCY_STORE_UNAVAILABLE. */
export const DEFAULT_IDEMPOTENCY_STORE_TIMEOUT_MS = 2_000
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/**
 * Upper bounds, so that no setting is absurd. A timer longer than 2^31 - 1 ms
 * is not honoured by Node: it fires after 1 ms (with a warning), which made a
 * huge SHUTDOWN_GRACE_MS cut requests in flight at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1
export const MAX_BODY_BYTES_LIMIT = 4 * 1024 ** 3
export const MAX_EXPIRY_WARN_DAYS = 3650
export const MAX_UPSTREAM_CONNECTIONS = 10_000
/** A DNS name (RFC 1035) and so a host name, an address or an SNI value. */
export const MAX_HOST_LENGTH = 253
export const MAX_URL_LENGTH = 2048
/** PATH_MAX on Linux. */
export const MAX_PATH_LENGTH = 4096
export const MAX_SECRET_LENGTH = 4096
/** sun_path holds 108 bytes on Linux, the terminating NUL included. */
export const MAX_SOCKET_PATH_LENGTH = 107
export const MAX_NO_PROXY_LENGTH = 8192

/**
 * The one list of settings whose value is a secret, and what the sidecar does
 * with each. Every secret may instead come from `<NAME>_FILE`, and is
 * redacted from log lines (src/logger.ts); `header`: it travels in an HTTP
 * header, so a control character in it is refused (header-secrets.ts);
 * `reloaded`: a reload reads its `_FILE` again, and that file is watched.
 * PROXY_AUTH_TOKEN is not reloaded: the applications hold it too.
 */
export const SECRETS = {
  TLS_PASSPHRASE: { header: false, reloaded: true },
  TRULIOO_USERNAME: { header: true, reloaded: true },
  TRULIOO_PASSWORD: { header: true, reloaded: true },
  PROXY_AUTH_TOKEN: { header: true, reloaded: false },
  EGRESS_PROXY_AUTH: { header: true, reloaded: true },
  TRULIOO_CLIENT_ID: { header: true, reloaded: true },
  TRULIOO_CLIENT_SECRET: { header: true, reloaded: true },
  TRULIOO_API_KEY: { header: true, reloaded: true },
  // Neither is reloaded: every sidecar sharing the store must hold the same
  // key (a new one would make the kept answers unreadable and the key hashes
  // different), and the store's connection is made once.
  IDEMPOTENCY_ENCRYPTION_KEY: { header: false, reloaded: false },
  IDEMPOTENCY_STORE_PASSWORD: { header: false, reloaded: false }
} as const satisfies Record<string, { header: boolean, reloaded: boolean }>

export type SecretVariable = keyof typeof SECRETS
/** Settings whose value is a secret: each may instead come from `<NAME>_FILE`. */
export const SECRET_VARIABLES = Object.keys(SECRETS) as readonly SecretVariable[]
/**
 * Settings whose value is a URL that may carry a password (`scheme://user:password@host`):
 * not secrets of their own (no _FILE twin), but redacted from the log like them.
 */
export const URLS_WITH_CREDENTIALS = ['IDEMPOTENCY_STORE', 'HTTPS_PROXY', 'ALL_PROXY'] as const satisfies ReadonlyArray<keyof Config>
/** Secrets sent in an HTTP header. */
export const HEADER_SECRETS = SECRET_VARIABLES.filter((name) => SECRETS[name].header)
/** Secrets a reload reads again from their `_FILE`s (and whose files are watched). */
export const RELOADED_SECRETS = SECRET_VARIABLES.filter((name) => SECRETS[name].reloaded)

const file = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PATH_LENGTH, description }))
const secret = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: MAX_SECRET_LENGTH, description }))
const secretFile = (name: string) => file(`path of a file holding ${name} (a Docker or Kubernetes secret); one trailing newline is dropped; not together with ${name}`)
const port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description })
// every integer setting has a maximum: test/config-numeric-edges.test.ts checks it
const positive = (fallback: number, description: string, maximum: number) =>
  Type.Integer({ minimum: 1, maximum, default: fallback, description })
const host = (fallback: string, description: string) =>
  Type.String({ minLength: 1, maxLength: MAX_HOST_LENGTH, default: fallback, description })

export const ConfigSchema = Type.Object({
  UPSTREAM_URL: Type.String({
    minLength: 1,
    maxLength: MAX_URL_LENGTH,
    default: DEFAULT_UPSTREAM_URL,
    description: 'where requests go: an https origin, without path, query or credentials'
  }),
  LISTEN_HOST: host(DEFAULT_LISTEN_HOST, 'address of the proxy listener; beyond loopback only on purpose (a warning is logged without PROXY_AUTH_TOKEN)'),
  LISTEN_PORT: port(DEFAULT_LISTEN_PORT, 'port of the proxy listener (0 picks a free one)'),
  LISTEN_SOCKET: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_SOCKET_PATH_LENGTH,
    description: 'path of a UNIX socket to listen on instead of LISTEN_HOST:LISTEN_PORT (a stale socket file is replaced, anything else at the path is refused; removed on a clean exit if it is still the socket this process made)'
  })),
  LISTEN_SOCKET_MODE: Type.String({
    maxLength: 5,
    pattern: '^(0o?)?[0-7]{3}$',
    default: DEFAULT_LISTEN_SOCKET_MODE,
    description: 'file mode of LISTEN_SOCKET, in octal: who on this host may connect (0660: the owner and its group)'
  }),
  ADMIN_HOST: host(DEFAULT_ADMIN_HOST, 'address of the admin listener (/livez, /readyz, /metrics, /status)'),
  ADMIN_PORT: port(DEFAULT_ADMIN_PORT, 'port of the admin listener; 0 turns it off'),
  TLS_CERT_FILE: file('PEM client certificate issued by Trulioo, followed by its chain if any'),
  TLS_KEY_FILE: file('PEM private key of the client certificate (PKCS#8 or traditional, encrypted or not)'),
  TLS_PFX_FILE: file('PKCS#12 file holding key and certificate, instead of TLS_CERT_FILE and TLS_KEY_FILE'),
  TLS_PASSPHRASE: secret('passphrase of the private key or of the PKCS#12 file'),
  TLS_PASSPHRASE_FILE: secretFile('TLS_PASSPHRASE'),
  TLS_IDENTITIES_DIR: file('a directory of up to 5 client identities, instead of TLS_CERT_FILE / TLS_KEY_FILE / TLS_PFX_FILE: each folder in it (one Kubernetes TLS Secret each) holds tls.crt, tls.key and, for an encrypted key, passphrase; names starting with "." are ignored; the valid one with the latest notBefore serves, the others stand by'),
  TLS_CA_FILE: file('PEM CA bundle trusted for the upstream in addition to the built-in roots'),
  TLS_SERVERNAME: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_HOST_LENGTH,
    description: 'SNI and the name checked in the upstream certificate (default: the host of UPSTREAM_URL)'
  })),
  HTTPS_PROXY: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_URL_LENGTH,
    description: 'HTTP CONNECT proxy every call to Trulioo goes through (also `https_proxy`, which wins, as in curl): http://host:port or https://host:port, optionally with user:password@; the TLS session with Trulioo runs end to end inside the tunnel'
  })),
  ALL_PROXY: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_URL_LENGTH,
    description: 'the proxy used when HTTPS_PROXY is unset (also `all_proxy`); HTTP_PROXY is for plain-http URLs and is never used'
  })),
  NO_PROXY: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_NO_PROXY_LENGTH,
    description: 'hosts reached directly, with curl\'s rules (also `no_proxy`): comma list of names (each matching its subdomains too, with or without a leading dot), IP addresses, CIDR ranges, `*` for all; `host:port` matches that port only'
  })),
  EGRESS_PROXY_AUTH: secret('user:password for the egress proxy, sent as `Proxy-Authorization: Basic` on the CONNECT only (never to Trulioo); instead of credentials in the proxy URL; its _FILE is read again on reload'),
  EGRESS_PROXY_AUTH_FILE: secretFile('EGRESS_PROXY_AUTH'),
  EGRESS_PROXY_CA_FILE: file('PEM CA bundle trusted for an https:// egress proxy, in addition to the built-in roots'),
  TRULIOO_USERNAME: secret('NAPI username, injected as Basic auth (with TRULIOO_PASSWORD; neither: the app\'s own Authorization passes through)'),
  TRULIOO_USERNAME_FILE: secretFile('TRULIOO_USERNAME'),
  TRULIOO_PASSWORD: secret('NAPI password, injected as Basic auth'),
  TRULIOO_PASSWORD_FILE: secretFile('TRULIOO_PASSWORD'),
  TRULIOO_CLIENT_ID: secret('OAuth2 client id for NAPI v3 and Workflow Studio (with TRULIOO_CLIENT_SECRET): the sidecar fetches, caches and refreshes the Bearer tokens'),
  TRULIOO_CLIENT_ID_FILE: secretFile('TRULIOO_CLIENT_ID'),
  TRULIOO_CLIENT_SECRET: secret('OAuth2 client secret; a new value (file change, SIGHUP) drops the cached tokens and fetches new ones'),
  TRULIOO_CLIENT_SECRET_FILE: secretFile('TRULIOO_CLIENT_SECRET'),
  TRULIOO_API_KEY: secret('API key of the self-serve gateway, injected as `x-trulioo-api-key` on `api-key` routes'),
  TRULIOO_API_KEY_FILE: secretFile('TRULIOO_API_KEY'),
  TOKEN_URL: Type.String({
    minLength: 1,
    maxLength: MAX_URL_LENGTH,
    default: DEFAULT_TOKEN_URL,
    description: 'OAuth2 token endpoint (https only; may be another host than UPSTREAM_URL); verified like the upstream, TLS_CA_FILE included, and offered the client certificate; through the egress proxy unless NO_PROXY names it'
  }),
  TOKEN_TIMEOUT_MS: positive(DEFAULT_TOKEN_TIMEOUT_MS, 'time allowed for one call to TOKEN_URL, from connecting to the last byte of the answer; past it the call is abandoned, logged, shown in /status, and requests waiting for that token get 503 TOKEN_UNAVAILABLE', MAX_TIMER_MS),
  AUTH_ROUTES: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_AUTH_ROUTES_LENGTH,
    description: `comma list of PATH_PREFIX=SCHEME, SCHEME one of basic, oauth2:SCOPE, api-key, pass-through; the longest matching prefix wins, a path no prefix matches is pass-through. Unset: ${DEFAULT_AUTH_ROUTES}, where a route whose credentials are not configured gives way to the next shorter prefix (set by you, every route's credentials are required)`
  })),
  PROXY_AUTH_TOKEN: secret('when set, every request must carry `Proxy-Authorization: Bearer <token>`'),
  PROXY_AUTH_TOKEN_FILE: secretFile('PROXY_AUTH_TOKEN'),
  UPSTREAM_CONNECTIONS: positive(DEFAULT_UPSTREAM_CONNECTIONS, 'most sockets kept open to the upstream', MAX_UPSTREAM_CONNECTIONS),
  CONNECT_TIMEOUT_MS: positive(DEFAULT_CONNECT_TIMEOUT_MS, 'time allowed to connect to the upstream, TLS handshake included', MAX_TIMER_MS),
  UPSTREAM_TIMEOUT_MS: positive(DEFAULT_UPSTREAM_TIMEOUT_MS, 'time allowed for the upstream\'s response headers; above 120 s because Trulioo says a synchronous verification may take up to 2 minutes, and a 504 sooner cuts a call Trulioo still processes and bills', MAX_TIMER_MS),
  UPSTREAM_BODY_TIMEOUT_MS: positive(DEFAULT_UPSTREAM_BODY_TIMEOUT_MS, 'time allowed between two chunks of the upstream\'s response body, separate from UPSTREAM_TIMEOUT_MS so that a stalled download is still cut promptly', MAX_TIMER_MS),
  UPSTREAM_QUEUE_TIMEOUT_MS: positive(DEFAULT_UPSTREAM_QUEUE_TIMEOUT_MS, 'time a request may wait for a free upstream connection while all UPSTREAM_CONNECTIONS are busy, before 503 UPSTREAM_BUSY (it never reached the upstream)', MAX_TIMER_MS),
  CLIENT_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    minimum: 1_000,
    // Node closes the connection one second after the advertised timeout
    maximum: MAX_TIMER_MS - 1_000,
    default: DEFAULT_CLIENT_KEEP_ALIVE_TIMEOUT_MS,
    description: 'how long an application\'s keep-alive connection may stay idle; advertised to it as Keep-Alive: timeout= (whole seconds) so that it closes first, the sidecar closing one second later; keep it above the idle timeout of applications that ignore that header (Go 90 s, curl 118 s)'
  }),
  CLIENT_BODY_TIMEOUT_MS: positive(DEFAULT_CLIENT_BODY_TIMEOUT_MS, 'time the application\'s request body may send nothing; a stalled upload is cut with 408 CLIENT_TIMEOUT and its upstream request aborted, so it cannot hold an upstream connection', MAX_TIMER_MS),
  MAX_BODY_BYTES: positive(DEFAULT_MAX_BODY_BYTES, 'largest request body accepted, by Content-Length or as streamed', MAX_BODY_BYTES_LIMIT),
  IDEMPOTENCY_TTL_S: positive(DEFAULT_IDEMPOTENCY_TTL_S, 'how long the answer to a POST or PATCH with `Idempotency-Key` is kept for its retries, in seconds (docs/journal.md)', MAX_IDEMPOTENCY_TTL_S),
  IDEMPOTENCY_WAIT_MS: Type.Integer({
    minimum: 0,
    maximum: MAX_TIMER_MS,
    default: DEFAULT_IDEMPOTENCY_WAIT_MS,
    description: 'how long a retry waits for the answer of a first request with the same `Idempotency-Key` that is still running, before 409 IDEMPOTENCY_IN_FLIGHT (0: at once)'
  }),
  IDEMPOTENCY_MAX_BYTES: positive(DEFAULT_IDEMPOTENCY_MAX_BYTES, 'most memory the kept answers may take in the memory store; past it the oldest finished entries are dropped before their TTL (an entry in flight never)', MAX_BODY_BYTES_LIMIT),
  IDEMPOTENCY_MAX_ANSWER_BYTES: positive(DEFAULT_IDEMPOTENCY_MAX_ANSWER_BYTES, 'largest answer body kept for retries; a larger answer reaches its own request, and a retry gets 502 OUTCOME_UNKNOWN saying it was too large to keep', MAX_BODY_BYTES_LIMIT),
  IDEMPOTENCY_REQUIRED_ROUTES: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_IDEMPOTENCY_ROUTES_LENGTH,
    description: 'comma list of `METHOD /path-prefix` entries (METHOD: POST or PATCH), e.g. `POST /verifications/v1/verify`: such a request without `Idempotency-Key` gets 400 IDEMPOTENCY_KEY_REQUIRED and is not sent'
  })),
  BILLABLE_ROUTES: Type.String({
    minLength: 1,
    maxLength: MAX_IDEMPOTENCY_ROUTES_LENGTH,
    default: DEFAULT_BILLABLE_ROUTES,
    description: 'comma list of `METHOD /path-prefix` entries (METHOD: POST or PATCH) naming the billable calls: their access line carries the transaction ids from the answer, and /transactions on the admin listener lists those whose answer was lost or whose outcome is unknown (docs/journal.md)'
  }),
  IDEMPOTENCY_STORE: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_URL_LENGTH,
    description: 'where the journal is kept: `memory` (the default: this process only), or a Redis or Valkey server shared by the sidecars of an application\'s replicas: `redis://host:port/db`, `rediss://…` (TLS), `unix:///path/to/redis.sock`; a password in the URL or in IDEMPOTENCY_STORE_PASSWORD; needs IDEMPOTENCY_ENCRYPTION_KEY_FILE (docs/journal.md)'
  })),
  IDEMPOTENCY_STORE_PASSWORD: secret('password for the Redis or Valkey server of IDEMPOTENCY_STORE (AUTH), instead of one in the URL'),
  IDEMPOTENCY_STORE_PASSWORD_FILE: secretFile('IDEMPOTENCY_STORE_PASSWORD'),
  IDEMPOTENCY_STORE_CA_FILE: file('PEM CA bundle trusted for a `rediss://` IDEMPOTENCY_STORE, in addition to the built-in roots'),
  IDEMPOTENCY_STORE_TIMEOUT_MS: positive(DEFAULT_IDEMPOTENCY_STORE_TIMEOUT_MS, 'time allowed for one call to the shared journal store (connecting included); past it, or while the store is down, a keyed request gets 503 IDEMPOTENCY_STORE_UNAVAILABLE and is not sent', MAX_TIMER_MS),
  IDEMPOTENCY_ENCRYPTION_KEY: secret('the key kept answers are encrypted with (AES-256-GCM) in a shared IDEMPOTENCY_STORE, and key hashes made with: 64 hex characters (32 random bytes, `openssl rand -hex 32`), the same for every sidecar sharing the store; required with Redis'),
  IDEMPOTENCY_ENCRYPTION_KEY_FILE: secretFile('IDEMPOTENCY_ENCRYPTION_KEY'),
  CERT_WATCH: Type.Boolean({
    default: true,
    description: 'reload the identity and credentials when their files change (SIGHUP always reloads)'
  }),
  CERT_EXPIRY_WARN_DAYS: Type.Integer({
    minimum: 0,
    maximum: MAX_EXPIRY_WARN_DAYS,
    default: DEFAULT_CERT_EXPIRY_WARN_DAYS,
    description: 'warn at start-up and daily when the client certificate expires within this many days'
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({
    minimum: 0,
    maximum: MAX_TIMER_MS,
    default: DEFAULT_SHUTDOWN_GRACE_MS,
    description: 'on SIGTERM/SIGINT, how long requests in flight may take to finish before the process exits'
  }),
  STARTUP_CHECK: Type.Boolean({
    default: false,
    description: 'call GET /connection/v1/testauthentication and stay not ready until it succeeds'
  }),
  LOG_LEVEL: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), {
    default: DEFAULT_LOG_LEVEL,
    description: 'pino log level'
  })
})

export type Config = Readonly<Static<typeof ConfigSchema>>

/** Names of every setting, in schema order (the order the docs use). */
export const CONFIG_VARIABLES = Object.keys(ConfigSchema.properties) as Array<keyof Config>

/** A fresh copy for env-schema and the validator's generator (gen-env-validator.ts): both change the schema they are handed. */
export function freshSchema (): TSchema {
  return structuredClone(ConfigSchema)
}
