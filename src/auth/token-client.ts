import { isIP } from 'node:net'
import { Agent } from 'undici'
import { type Clock, SYSTEM_CLOCK } from '../clock.js'
import type { Config } from '../config/schema.js'
import { TokenFetchError } from '../errors.js'
import { causeCode } from '../upstream/classify-error.js'
import { EgressProxyError, egressFor } from '../upstream/connect-tunnel.js'
import type { ClientTls } from '../upstream/create-agent.js'
import { handshakeRefusal } from '../upstream/fallback.js'
import { createTlsConnector, SocketFates } from '../upstream/tls-connector.js'

/** What a token endpoint answered, before the store judges its lifetime. */
export interface TokenAnswer {
  readonly accessToken: string
  /** The lifetime the endpoint gave, in seconds, exactly as sent (may be missing or absurd). */
  readonly expiresIn: unknown
}

export interface ClientCredentials {
  readonly id: string
  readonly secret: string
}

/** A token answer is a small JSON object: a larger one is not read. */
const MAX_ANSWER_BYTES = 64 * 1024
/** A token travels in a header: visible ASCII only, so it can never split or add a header. */
const HEADER_SAFE = /^[\x21-\x7E]{1,8192}$/
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/

/**
 * Calls the OAuth2 token endpoint (TOKEN_URL) for client-credentials tokens.
 * It has its own undici Agent, built from the same identity's secure context
 * as the upstream pool (so the client certificate is offered, and TLS_CA_FILE
 * is trusted with the built-in roots), verifies the endpoint's name, and goes
 * through the egress tunnel when HTTPS_PROXY applies to the token host.
 *
 * Each call has one deadline, TOKEN_TIMEOUT_MS, from the first byte sent to
 * the last one read: connecting, waiting for the headers and a body that
 * drips all count, so no phase can hold the requests waiting for the token.
 */
export class TokenClient {
  readonly url: URL
  readonly #agent: Agent
  readonly #fates = new SocketFates()
  /** The endpoint refused this client certificate in the handshake (the identity set marks the member). */
  readonly #onRefused: ((alert: string) => void) | undefined
  readonly #credentials: () => ClientCredentials | undefined
  readonly #timeoutMs: number
  readonly #clock: Clock
  /** The calls under way, so that destroy() can abandon them. */
  readonly #calls = new Set<AbortController>()

  constructor (config: Config, tls: ClientTls, credentials: () => ClientCredentials | undefined, egressAuthorization: () => string | undefined, clock: Clock = SYSTEM_CLOCK, onRefused?: (alert: string) => void) {
    this.url = new URL(config.TOKEN_URL)
    this.#credentials = credentials
    this.#timeoutMs = config.TOKEN_TIMEOUT_MS
    this.#clock = clock
    const host = this.url.hostname.replace(/^\[|\]$/g, '')
    const port = this.url.port === '' ? 443 : Number(this.url.port)
    const egress = egressFor(config, { host, port }, egressAuthorization)
    this.#agent = new Agent({
      connections: 4,
      allowH2: false,
      // only a backstop: the call's own deadline (same length, started earlier) ends it first
      headersTimeout: config.TOKEN_TIMEOUT_MS,
      bodyTimeout: config.TOKEN_TIMEOUT_MS,
      keepAliveTimeout: 4_000,
      connect: createTlsConnector({
        secureContext: tls.secureContext,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        rejectUnauthorized: true,
        ALPNProtocols: ['http/1.1'],
        allowH2: false,
        timeout: config.CONNECT_TIMEOUT_MS
      }, this.#fates, egress)
    })
    this.#onRefused = onRefused
  }

  /** One token for `scope`; throws TokenFetchError with a message fit for a log line. */
  async fetch (scope: string): Promise<TokenAnswer> {
    const credentials = this.#credentials()
    if (credentials === undefined) throw new TokenFetchError('rejected', 'no client credentials are configured (TRULIOO_CLIENT_ID, TRULIOO_CLIENT_SECRET)')
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.id, client_secret: credentials.secret, scope }).toString()
    /** The status once the headers are in: a deadline after that says the answer was dripping. */
    let headersStatus: number | undefined
    const call = new AbortController()
    this.#calls.add(call)
    const deadline = this.#clock.setTimeout(() => {
      const stage = headersStatus === undefined ? '' : `: its ${headersStatus} answer was still arriving`
      call.abort(new TokenFetchError('timeout', `the token endpoint ${this.url.host} did not answer within TOKEN_TIMEOUT_MS (${this.#timeoutMs} ms)${stage}`))
    }, this.#timeoutMs)
    // undici acts on the signal only once the request has a connection: a handshake
    // that never ends would outlive it, so the call also gives up on its own
    const abandoned = new Promise<never>((_resolve, reject) => {
      call.signal.addEventListener('abort', () => { reject(call.signal.reason) }, { once: true })
    })
    const exchange = async (): Promise<{ status: number, text: string }> => {
      const res = await this.#agent.request({
        origin: this.url.origin,
        path: `${this.url.pathname}${this.url.search}`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: call.signal
      })
      headersStatus = res.statusCode
      return { status: res.statusCode, text: await readCapped(res.body) }
    }
    let answer: { status: number, text: string }
    try {
      answer = await Promise.race([exchange(), abandoned])
    } catch (err) {
      const alert = this.#onRefused === undefined ? undefined : handshakeRefusal(err, this.#fates)
      if (alert !== undefined) this.#onRefused?.(alert)
      // once aborted, undici's own error only says "aborted": the reason given to abort() says why
      throw describeNetworkError(call.signal.aborted ? call.signal.reason : err, this.url.host)
    } finally {
      this.#clock.clearTimeout(deadline)
      this.#calls.delete(call)
    }
    return parseAnswer(answer.status, answer.text, this.url.host)
  }

  /** Lets the calls under way finish, then closes the connections (a client replaced by a new identity). */
  close (): Promise<void> {
    return this.#agent.close().catch(() => {})
  }

  /**
   * Abandons the calls under way and closes the connections at once: the
   * sidecar is stopping, and a token endpoint that hangs must not hold its
   * exit (Agent.close() would wait for those calls).
   */
  destroy (): Promise<void> {
    for (const call of this.#calls) call.abort(new TokenFetchError('unreachable', 'the token call was abandoned: the sidecar is stopping'))
    return this.#agent.destroy().catch(() => {})
  }
}

async function readCapped (body: AsyncIterable<Buffer> & { destroy: (err?: Error) => unknown }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > MAX_ANSWER_BYTES) {
      body.destroy()
      throw new TokenFetchError('bad-answer', `the answer is larger than ${MAX_ANSWER_BYTES} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function describeNetworkError (err: unknown, host: string): TokenFetchError {
  if (err instanceof TokenFetchError) return err
  if (err instanceof EgressProxyError) return new TokenFetchError('egress-proxy', `the egress proxy failed on the way to ${host}: ${err.message}`, { cause: err })
  const code = causeCode(err) ?? 'unknown'
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new TokenFetchError('timeout', `the token endpoint ${host} did not answer in time (${code})`, { cause: err })
  }
  if (TLS_CODES.test(code)) return new TokenFetchError('tls', `TLS with the token endpoint ${host} failed (${code}); it is verified with the built-in roots and TLS_CA_FILE`, { cause: err })
  return new TokenFetchError('unreachable', `the token endpoint ${host} cannot be reached (${code})`, { cause: err })
}

/** Both documented shapes: `{access_token, expires_in}` (NAPI v3) and `{Token, ExpiresIn}` (Workflow Studio). */
export function parseAnswer (status: number, text: string, host: string): TokenAnswer {
  let json: Record<string, unknown> | undefined
  try {
    const parsed = JSON.parse(text) as unknown
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>
  } catch {
    json = undefined
  }
  // only the OAuth2 error code is repeated: the rest of an answer may echo what was sent
  const error = typeof json?.error === 'string' && /^[\w.-]{1,64}$/.test(json.error) ? json.error : undefined
  if (status !== 200) {
    if (error === 'invalid_client' || error === 'unauthorized_client') {
      return fail('rejected', `the token endpoint ${host} refused the client credentials (${error}): TRULIOO_CLIENT_ID or TRULIOO_CLIENT_SECRET is wrong, or the client may not use this scope`, status)
    }
    if (error === 'invalid_scope') return fail('rejected', `the token endpoint ${host} refused the scope (invalid_scope): check AUTH_ROUTES`, status)
    return fail('refused', `the token endpoint ${host} answered ${status}${error === undefined ? '' : ` (${error})`}`, status)
  }
  if (json === undefined) return fail('bad-answer', `the token endpoint ${host} answered 200 without a JSON object`, status)
  const token = json.access_token ?? json.Token ?? json.token
  if (typeof token !== 'string' || !HEADER_SAFE.test(token)) return fail('bad-answer', `the token endpoint ${host} answered 200 without a usable access_token`, status)
  const type = json.token_type ?? json.TokenType
  if (typeof type === 'string' && type.toLowerCase() !== 'bearer') return fail('bad-answer', `the token endpoint ${host} gave a token of type ${JSON.stringify(type.slice(0, 32))}, not Bearer`, status)
  return { accessToken: token, expiresIn: json.expires_in ?? json.ExpiresIn ?? json.expiresIn }
}

function fail (reason: TokenFetchError['reason'], message: string, status: number): never {
  throw new TokenFetchError(reason, message, { status })
}
