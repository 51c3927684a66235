/**
 * The one registry of errors the sidecar makes.
 *
 * Two families:
 * - request errors: answered to the application as JSON with `x-sidecar-error`,
 *   so it can always tell a sidecar error from Trulioo's own answer;
 * - start-up errors: a bad setting or file, reported as one line and exit 78
 *   (and by `check`, with the fix of its code under it).
 *
 * Each entry has a stable code, an HTTP status (request errors) and the advice
 * the docs table shows. The tables in docs/errors.md are generated from these
 * registries (`npm run docs`) and `test/config/config-docs.test.ts` fails when they drift.
 */

export interface RequestErrorSpec {
  readonly status: number
  /** The one other status the code may be answered with (EGRESS_PROXY_ERROR: 504 for a proxy that hangs). */
  readonly otherStatus?: number
  readonly summary: string
  readonly fix: string
}

export const REQUEST_ERRORS = {
  UPSTREAM_TLS_ERROR: {
    status: 502,
    summary: 'TLS handshake with the upstream failed: client certificate rejected, unknown CA, name mismatch or expired certificate',
    fix: 'Run `trulioo-mtls-sidecar check`; the message says which side refused. A rejected client certificate was not issued for this account or was revoked.'
  },
  UPSTREAM_UNREACHABLE: {
    status: 502,
    summary: 'the upstream could not be reached: DNS, connection refused, or reset before a response',
    fix: 'Check UPSTREAM_URL, DNS and egress firewall rules; `check` shows which step fails.'
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    summary: 'connecting, or waiting for the upstream\'s headers or next body chunk, took too long',
    fix: 'Raise CONNECT_TIMEOUT_MS, UPSTREAM_TIMEOUT_MS (headers) or UPSTREAM_BODY_TIMEOUT_MS (between body chunks) if the upstream is merely slow; the message says which.'
  },
  EGRESS_PROXY_ERROR: {
    status: 502,
    otherStatus: 504,
    summary: 'the egress proxy (HTTPS_PROXY / ALL_PROXY) refused the CONNECT (the message has its status: 407 credentials, 403 not allowed, 5xx), could not be reached, or failed TLS; 504 when it did not answer within CONNECT_TIMEOUT_MS',
    fix: 'Check the proxy URL, its credentials (in the URL or EGRESS_PROXY_AUTH_FILE), and that it allows CONNECT to the Trulioo host on port 443; `check` has an "egress proxy" step.'
  },
  BODY_TOO_LARGE: {
    status: 413,
    summary: 'the request body (Content-Length or streamed) is larger than MAX_BODY_BYTES, or larger than 64 KiB on a request with `Idempotency-Key` (the journal compares retries by the SHA-256 of a body read whole)',
    fix: 'Send a smaller body or raise MAX_BODY_BYTES; a keyed POST or PATCH over 64 KiB can only go without `Idempotency-Key` (docs/journal.md).'
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    summary: 'CONNECT, TRACE and other methods a REST API never takes',
    fix: 'Use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS.'
  },
  BAD_REQUEST_TARGET: {
    status: 400,
    summary: 'the request target is neither a path nor an absolute http(s) URL (for example `*`), or holds what a server could read as another path: dot segments, backslashes, encoded slashes, empty segments, broken escapes',
    fix: 'Send the path as it is meant, such as `/verifications/v1/verify`: no `.` or `..` segments, `\\`, `%2F`, `%5C` or `//` (see the path rule in docs/how-it-works.md).'
  },
  BAD_REQUEST: {
    status: 400,
    summary: 'the request could not be read: malformed headers or body framing',
    fix: 'Check the client; the message says what the sidecar could not read.'
  },
  EXPECTATION_FAILED: {
    status: 417,
    summary: 'the request carries an `Expect` other than `100-continue`, which the sidecar cannot meet',
    fix: 'Drop the header, or send `Expect: 100-continue`.'
  },
  PROXY_AUTH_REQUIRED: {
    status: 407,
    summary: 'PROXY_AUTH_TOKEN is set and the request lacks `Proxy-Authorization: Bearer <token>`',
    fix: 'Send the header with the token the sidecar was given.'
  },
  NOT_READY: {
    status: 503,
    summary: 'no valid client identity is loaded',
    fix: 'See `/readyz` and `/status` on the admin port, and the last reload error in the log.'
  },
  SHUTTING_DOWN: {
    status: 503,
    summary: 'the sidecar is draining before it exits',
    fix: 'Retry against the replacement instance.'
  },
  TOKEN_UNAVAILABLE: {
    status: 503,
    summary: 'the route uses OAuth2 (AUTH_ROUTES) and the sidecar holds no valid token for its scope: the token endpoint is failing or refusing the client credentials; the upstream was not called',
    fix: 'See `/status` (tokens) and `/readyz` on the admin port, and the warn line naming the scope; run `trulioo-mtls-sidecar check`. `invalid_client` means TRULIOO_CLIENT_ID / TRULIOO_CLIENT_SECRET are wrong; otherwise check TOKEN_URL and that the token endpoint is reachable (egress proxy, NO_PROXY); a call that took longer than TOKEN_TIMEOUT_MS says so.'
  },
  UPSTREAM_BAD_RESPONSE: {
    status: 502,
    summary: 'the upstream\'s answer is not valid HTTP: malformed status line, a status code outside 100-599, invalid header byte, conflicting or negative Content-Length, header block over the limit',
    fix: 'The upstream (or something between it and the sidecar) is at fault; the message and the warn line say what was wrong. Check that UPSTREAM_URL points at the Trulioo API and not at a proxy or load balancer that rewrites answers.'
  },
  UPSTREAM_BUSY: {
    status: 503,
    summary: 'every upstream connection stayed busy and none freed up in time for this request',
    fix: 'Raise UPSTREAM_CONNECTIONS (or UPSTREAM_QUEUE_TIMEOUT_MS), or look for slow requests or uploads holding the connections (the access lines show their durations).'
  },
  CLIENT_TIMEOUT: {
    status: 408,
    summary: 'the application\'s request body stalled: nothing arrived for too long',
    fix: 'Check the application (or anything between it and the sidecar) for an upload that stops midway; send the body without pauses longer than CLIENT_BODY_TIMEOUT_MS.'
  },
  IDEMPOTENCY_KEY_REQUIRED: {
    status: 400,
    summary: 'the route is listed in IDEMPOTENCY_REQUIRED_ROUTES and the request carries no `Idempotency-Key`; the upstream was not called',
    fix: 'Send `Idempotency-Key: <a value unique to this operation>` (1 to 255 visible characters) and reuse it on every retry of the same call; see docs/journal.md.'
  },
  IDEMPOTENCY_IN_FLIGHT: {
    status: 409,
    summary: 'a request with the same `Idempotency-Key` is still running and gave no answer within IDEMPOTENCY_WAIT_MS; this one was not sent',
    fix: 'Retry with the same key after `Retry-After`: it gets the first request\'s answer once there is one. Raise IDEMPOTENCY_WAIT_MS to wait longer in one call.'
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    summary: 'the `Idempotency-Key` was already used for a different request (method, path with query, or body); this one was not sent',
    fix: 'Use a new key for each distinct operation; a retry must repeat the first request exactly (same method, path, query and body bytes).'
  },
  OUTCOME_UNKNOWN: {
    status: 502,
    summary: 'an earlier request with the same `Idempotency-Key` was sent upstream and its outcome is unknown (timed out, cut short, or an answer too large to keep); the sidecar will not run it a second time',
    fix: 'Look the first attempt up before deciding: the message names its request id and time, and Trulioo\'s `TransactionID` and `TransactionRecordID` when its answer had carried them (`GET /verifications/v1/transaction/{id}/status`; `/transactions` on the admin listener lists such calls); to run the call again on purpose, send it with a new `Idempotency-Key`.'
  },
  IDEMPOTENCY_STORE_UNAVAILABLE: {
    status: 503,
    summary: 'the request carries `Idempotency-Key` and the shared journal store (IDEMPOTENCY_STORE: Redis or Valkey) did not answer within IDEMPOTENCY_STORE_TIMEOUT_MS, is down, or holds an entry this sidecar cannot decrypt; it was not sent (a keyed call never runs unprotected). Requests without a key are not affected',
    fix: 'See `/status` (idempotencyStore) on the admin port and the warn line; run `trulioo-mtls-sidecar check`. Bring the Redis or Valkey server back (the sidecar reconnects by itself), check IDEMPOTENCY_STORE and its password, and give every sidecar sharing the store the same IDEMPOTENCY_ENCRYPTION_KEY_FILE. Retry with the same key.'
  },
  INTERNAL_ERROR: {
    status: 500,
    summary: 'an unexpected fault inside the sidecar',
    fix: 'Report it with the request id and the log line that carries it.'
  }
} as const satisfies Record<string, RequestErrorSpec>

export type RequestErrorCode = keyof typeof REQUEST_ERRORS

/** An error answered to the application with a status, a code and a message. */
export class SidecarRequestError extends Error {
  readonly code: RequestErrorCode
  readonly statusCode: number
  /** UPSTREAM_TLS_ERROR only: the upstream refused our client certificate (not the other way round). */
  readonly clientCertificateRefused: boolean

  constructor (code: RequestErrorCode, message: string, options?: { cause?: unknown, clientCertificateRefused?: boolean, status?: number }) {
    super(message, options)
    this.name = 'SidecarRequestError'
    this.code = code
    const spec: RequestErrorSpec = REQUEST_ERRORS[code]
    // only a status the registry declares for the code, so the docs table stays the whole truth
    this.statusCode = options?.status !== undefined && options.status === spec.otherStatus ? options.status : spec.status
    this.clientCertificateRefused = options?.clientCertificateRefused ?? false
  }
}

/**
 * The application closed its connection before its answer: nothing is
 * answered, and what had not been sent upstream is not sent.
 */
export class ClientGoneError extends Error {
  readonly code = 'CLIENT_GONE'

  constructor (message: string) {
    super(message)
    this.name = 'ClientGoneError'
  }
}

/** Why a token call failed, for logs, `/status`, readiness and `check`'s advice. */
export type TokenFailure = 'unreachable' | 'tls' | 'timeout' | 'egress-proxy' | 'rejected' | 'refused' | 'bad-answer'

/**
 * A call to the token endpoint that brought no token. The message says what
 * went wrong in plain words and never holds the client secret, a token or the
 * endpoint's body beyond its `error` code.
 */
export class TokenFetchError extends Error {
  readonly code = 'TOKEN_FETCH_FAILED'
  readonly reason: TokenFailure
  /** The endpoint's HTTP status, when it answered. */
  readonly status: number | undefined

  constructor (reason: TokenFailure, message: string, options: { cause?: unknown, status?: number } = {}) {
    super(message, { cause: options.cause })
    this.name = 'TokenFetchError'
    this.reason = reason
    this.status = options.status
  }
}

/** Exit code for a configuration problem (sysexits.h EX_CONFIG). */
export const EXIT_CONFIG = 78

export interface StartupErrorSpec {
  readonly summary: string
  readonly fix: string
  /** A finding that is reported but does not stop the sidecar. */
  readonly warning?: true
}

/**
 * Start-up errors: a setting or a file is wrong. `serve` prints one line
 * (`SUBJECT: message`) and exits 78; a reload keeps the old identity and
 * reports the same line; `check` prints the line and, under it, the `fix`
 * of its code. The identity's codes come from the stages in
 * src/identity/identity-stages.ts, which serve and check both run in the one
 * order load-identity.ts gives them.
 */
export const STARTUP_ERRORS = {
  CONFIG_INVALID: {
    summary: 'a setting is missing, malformed, out of range, or conflicts with another',
    fix: 'Fix the settings the line names (environment or .env); `serve --help` and docs/configuration.md list every variable.'
  },
  FILE_UNREADABLE: {
    summary: 'a file a setting names cannot be read: no such file, permission denied, not a regular file (a directory, FIFO or device), or larger than 1 MiB',
    fix: 'Point the setting the line names at a readable regular file: check the path, that the file (or the mounted Secret) is there, and that the sidecar\'s user may read it.'
  },
  LISTEN_FAILED: {
    summary: 'a listener could not be opened: the port is in use, the address is not this host\'s, binding needs privileges, or LISTEN_SOCKET\'s path is taken by another process or by something that is not a socket',
    fix: 'Choose another LISTEN_PORT / ADMIN_PORT (0 picks a free one) or LISTEN_SOCKET path, or stop what holds it; LISTEN_HOST and ADMIN_HOST must be addresses of this host.'
  },
  CERT_INVALID: {
    summary: 'TLS_CERT_FILE holds no PEM certificate, or one that does not parse',
    fix: 'Point TLS_CERT_FILE at the PEM certificate downloaded from the Trulioo Customer Portal (it begins with -----BEGIN CERTIFICATE-----), followed by its chain if any.'
  },
  CERT_EXPIRED: {
    summary: 'the client certificate is past its notAfter date',
    fix: 'Renew it: make a new key and CSR with `trulioo-mtls-sidecar csr`, upload the CSR in the Trulioo Customer Portal, and install the certificate it issues.'
  },
  CERT_NOT_YET_VALID: {
    summary: 'the client certificate\'s notBefore date is still ahead of this machine\'s clock',
    fix: 'Check this machine\'s clock, or wait until the certificate\'s start date (a reload is retried with backoff).'
  },
  KEY_FILE_EXPOSED: {
    summary: 'the private key (TLS_KEY_FILE) or the PKCS#12 file is readable by group or others',
    fix: 'chmod 600 the file, so that only the sidecar\'s user can read it. (A Kubernetes Secret volume with an fsGroup is readable by that group, the pod\'s own: defaultMode 0400 shows as 0440.)',
    warning: true
  },
  KEY_INVALID: {
    summary: 'TLS_KEY_FILE holds no PEM private key that can be read',
    fix: 'Point TLS_KEY_FILE at the PEM private key made together with the CSR.'
  },
  PASSPHRASE_REQUIRED: {
    summary: 'the private key or the PKCS#12 file is encrypted and TLS_PASSPHRASE is not set',
    fix: 'Set TLS_PASSPHRASE_FILE (or TLS_PASSPHRASE) to the passphrase chosen when the key was made.'
  },
  PASSPHRASE_WRONG: {
    summary: 'TLS_PASSPHRASE does not open the private key or the PKCS#12 file',
    fix: 'Use the passphrase chosen when the key was made (for a PKCS#12 file, when it was exported); if it is lost, the key is too: make a new key and CSR with `trulioo-mtls-sidecar csr`.'
  },
  KEY_MISMATCH: {
    summary: 'the private key is not the key of the client certificate',
    fix: 'Use the private key made together with the CSR that this certificate was issued for (the same `csr` run), or upload a new CSR and install its certificate.'
  },
  PKCS12_LEGACY_CIPHER: {
    summary: 'the PKCS#12 file is encrypted with RC2 or RC4, which OpenSSL 3 refuses',
    fix: 'Re-export it with AES: `openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC` (or `openssl pkcs12 -legacy` to read the old one first).'
  },
  PKCS12_INVALID: {
    summary: 'TLS_PFX_FILE is not a usable PKCS#12 file, or holds no certificate',
    fix: 'Point TLS_PFX_FILE at a PKCS#12 (.p12 / .pfx) file holding the key and the certificate Trulioo issued, or use TLS_CERT_FILE and TLS_KEY_FILE.'
  },
  CERT_UNUSABLE: {
    summary: 'OpenSSL refuses the certificate and key for TLS (a key too small for its security level, an unsupported algorithm)',
    fix: 'Make a new key and CSR with `trulioo-mtls-sidecar csr` (it makes a key OpenSSL accepts), upload the CSR and install the certificate it issues.'
  },
  ENCRYPTION_KEY_INVALID: {
    summary: 'IDEMPOTENCY_STORE is a shared store (Redis, Valkey) and IDEMPOTENCY_ENCRYPTION_KEY_FILE is missing or holds anything but 64 hex characters',
    fix: 'Write 32 random bytes as hex (`openssl rand -hex 32 > journal.key`, one line, nothing else), point IDEMPOTENCY_ENCRYPTION_KEY_FILE at it, and give every sidecar sharing the store the same file (a Kubernetes Secret).'
  },
  IDENTITIES_DIR_INVALID: {
    summary: 'TLS_IDENTITIES_DIR cannot be read, holds no member, more than five, or something that is not a member folder (a file, a folder without tls.crt and tls.key)',
    fix: 'Mount one folder per certificate in TLS_IDENTITIES_DIR (one Kubernetes TLS Secret each, holding tls.crt, tls.key and, for an encrypted key, passphrase), at most five; move anything else out of it (names starting with "." are ignored).'
  },
  NO_VALID_IDENTITY: {
    summary: 'no member of TLS_IDENTITIES_DIR loads and is valid now: each is broken, expired or not yet valid',
    fix: 'Fix or replace the members the line names; at least one must load and be within its validity to start.'
  },
  CA_FILE_INVALID: {
    summary: 'TLS_CA_FILE or EGRESS_PROXY_CA_FILE holds no PEM certificate, or one that does not parse',
    fix: 'Point the setting at a readable PEM bundle of the CA that signs the upstream\'s (or the egress proxy\'s) certificate, or unset it.'
  }
} as const satisfies Record<string, StartupErrorSpec>

export type StartupErrorCode = keyof typeof STARTUP_ERRORS

/** What to do about a start-up error: the registry's `fix` for its code. */
export function startupFix (code: StartupErrorCode): string {
  return STARTUP_ERRORS[code].fix
}

/**
 * A start-up problem: a setting or a file is wrong. `subject` names the
 * variable or file; `code` is the registry's (CONFIG_INVALID unless said);
 * the message never carries a secret.
 */
export class ConfigError extends Error {
  readonly code: StartupErrorCode
  readonly subject: string

  constructor (subject: string, message: string, options?: { cause?: unknown, code?: StartupErrorCode }) {
    super(message, options)
    this.name = 'ConfigError'
    this.subject = subject
    this.code = options?.code ?? 'CONFIG_INVALID'
  }

  /** The one line printed before exit 78. */
  toLine (): string {
    return `${this.subject}: ${this.message}`
  }
}

/** Several configuration problems found in one pass, reported together; each keeps its own code. */
export class ConfigErrors extends Error {
  readonly code = 'CONFIG_INVALID'
  readonly problems: readonly ConfigError[]

  constructor (problems: readonly ConfigError[]) {
    super(problems.map((p) => p.toLine()).join('; '))
    this.name = 'ConfigErrors'
    this.problems = problems
  }
}

/** Errors of the `csr` command: what the user typed, or a file in the way. */
export const CSR_ERRORS = {
  CSR_INPUT_INVALID: 'a subject field, a name or an option given to `csr` is not acceptable; nothing was written',
  CSR_FILE_EXISTS: 'the key or CSR file already exists and `--force` was not given; nothing was written',
  CSR_PROMPT_ABORTED: 'the interactive prompt ended (Ctrl-C or end of input) before every answer was given'
} as const

export type CsrErrorCode = keyof typeof CSR_ERRORS

/** Exit code for a refused `csr` input (sysexits.h EX_USAGE), and for a file in the way (EX_CANTCREAT). */
export const EXIT_USAGE = 64
export const EXIT_CANTCREAT = 73

/**
 * A `csr` refusal. `field` names the flag or subject field (e.g. `--country`);
 * the message says what is wrong and what would be accepted.
 */
export class CsrInputError extends Error {
  readonly code: CsrErrorCode
  readonly field: string

  constructor (field: string, message: string, code: CsrErrorCode = 'CSR_INPUT_INVALID', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CsrInputError'
    this.code = code
    this.field = field
  }

  toLine (): string {
    return `${this.field}: ${this.message}`
  }

  get exitCode (): number {
    return this.code === 'CSR_FILE_EXISTS' ? EXIT_CANTCREAT : EXIT_USAGE
  }
}
