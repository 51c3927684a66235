import { createHash, randomBytes, randomUUID, X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import https from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import tls, { type TLSSocket } from 'node:tls'
import { type AlertName, handshakeAlertServer } from './handshake-alerts.js'

/**
 * A mock of Trulioo's mTLS endpoint. It demands a client certificate from the
 * CA it is given and Basic credentials, and answers the two calls every
 * integration starts with. Under `/__mock/` it has helpers for tests: echo,
 * a chosen status, slow, pausing and hanging answers, downloads of any size.
 *
 * With `clientId` and `clientSecret` it is also Trulioo's OAuth2 token
 * endpoint (`POST /connect/token`, client credentials), answering in both
 * documented shapes (NAPI v3's `access_token`, Workflow Studio's `Token`),
 * and it then demands a Bearer token of the right scope on `/v3/` and
 * `/wfs/`. With `apiKey`, paths under `apiKeyPrefix` demand
 * `x-trulioo-api-key`.
 *
 * It records what it saw (method, path, headers, the client certificate's
 * serial, bytes received) so tests can assert on the upstream side: a request
 * whose body was cut short is recorded too, when the cut arrives, with the
 * bytes that did arrive and `complete: false`.
 */

export interface MockUpstreamOptions {
  /** PEM server certificate (and chain) and its key. */
  cert: string
  key: string
  /** PEM CA(s) whose client certificates are accepted. */
  clientCa: string | string[]
  username?: string
  password?: string
  host?: string
  port?: number
  /** Pin the TLS version, e.g. to see how TLS 1.2 and 1.3 differ. */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3'
  /** OAuth2 client credentials the token endpoint accepts; without them it has none. */
  clientId?: string
  clientSecret?: string
  /** Lifetime of the tokens it issues, in seconds (fractions allowed); 1800 by default. */
  tokenLifetimeSeconds?: number
  /** The self-serve gateway's API key, demanded under `apiKeyPrefix`. */
  apiKey?: string
  /** Where the API key is demanded; `/selfserve/` by default. */
  apiKeyPrefix?: string
  /**
   * Refuse client certificates as an OpenSSL server does, with a TLS alert
   * in the handshake (handshake-alerts.ts), rather than as Node does (a close
   * after the handshake); needed by `refuse()`.
   */
  handshakeAlerts?: boolean
  /** The time client certificates are judged at, with handshakeAlerts (tests move it); Date.now by default. */
  now?: () => number
}

/** Which scope each OAuth2 path family needs, as Trulioo has it. */
export const MOCK_SCOPES: Readonly<Record<string, string>> = Object.freeze({ '/v3/': 'napi.api', '/wfs/': 'workflow.studio.api' })

export interface TokenCall {
  readonly scope: string | undefined
  readonly clientId: string | undefined
  readonly status: number
  readonly at: number
}

/** The token endpoint's state and switches; tests change them while the mock runs. */
export interface MockTokens {
  /** Every call to POST /connect/token, in order. */
  readonly calls: TokenCall[]
  /** Make it fail: `invalid_client` (400), `unavailable` (503), `reset` (connection dropped). */
  fail: 'invalid_client' | 'unavailable' | 'reset' | undefined
  lifetimeSeconds: number
  /** Sent as expires_in / ExpiresIn instead of the lifetime (e.g. -1, 'soon', or undefined to leave it out). */
  expiresIn?: unknown
  /** The answer's shape; by default `workflow` for workflow.studio.api, `napi` otherwise. */
  shape: 'napi' | 'workflow' | undefined
  /** Delay before answering, in ms. */
  delayMs: number
  /** The tokens issued and still known: value → scope and expiry. */
  readonly issued: Map<string, { scope: string, expiresAt: number }>
  /** Forget every token issued: the next call with one gets 401. */
  revokeAll (): void
  /** Change the accepted secret (a rotation). */
  clientSecret: string | undefined
}

export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly clientSerial: string | undefined
  readonly clientSubject: string | undefined
  /** The body bytes that arrived: all of them, or as many as came before the cut. */
  readonly bodyBytes: number
  readonly bodySha256: string
  /**
   * False when the body was cut short (the connection closed or reset before
   * the request's end): such a request gets no answer. /__mock/hang paths never
   * read their body and say whether it had already ended.
   */
  readonly complete: boolean
  readonly socketId: number
}

/** One verification the mock ran: the ids its answer carries (or would have, when cut). */
export interface MockVerification {
  readonly path: string
  readonly transactionId: string
  readonly transactionRecordId: string
}

/**
 * The verify calls (`POST /verifications/v1/verify`, `POST /v3/verifications/verify`):
 * each run counted with its fresh ids, so a test can assert that a call ran
 * exactly once; tests change the switches while the mock runs.
 */
export interface MockVerifications {
  /** Every verification run, in order (a run is counted when its request has arrived whole). */
  readonly runs: MockVerification[]
  /** Delay before answering, in ms: a verification that takes its time, as a real one may (up to two minutes). */
  delayMs: number
  /** Cut the answer after its ids: the head and the body up to `TransactionRecordID`, then the connection is dropped. */
  cut: boolean
}

export interface MockUpstream {
  readonly url: string
  readonly port: number
  readonly requests: SeenRequest[]
  /** Resolves once `count` requests in all have been recorded (cut ones too), with them. */
  whenRecorded (count: number): Promise<readonly SeenRequest[]>
  /** TLS connections accepted so far, and the most open at once. */
  readonly stats: { connections: number, open: number, maxOpen: number }
  /** The token endpoint (only with clientId and clientSecret). */
  readonly tokens: MockTokens
  /** Requests that reached a Bearer-protected path with a valid token, by path. */
  readonly accepted: string[]
  /** The verify calls it ran, and how it answers them. */
  readonly verifications: MockVerifications
  /**
   * Refuse the client certificate with this serial (hex) in the TLS handshake
   * with `alert` (certificate_revoked by default) from the next connection
   * on; needs `handshakeAlerts`. Connections open now are not touched.
   */
  refuse (serialNumber: string, alert?: AlertName): void
  /** Accept that serial again, from the next connection on. */
  accept (serialNumber: string): void
  /** The TLS handshakes refused so far, in order. */
  readonly refusals: Array<{ readonly alert: AlertName, readonly serialNumber: string | undefined }>
  close (): Promise<void>
}

/** A verify answer in Trulioo's shape, with the ids of one run. */
export function verificationAnswer (run: Pick<MockVerification, 'transactionId' | 'transactionRecordId'>): Record<string, unknown> {
  return {
    TransactionID: run.transactionId,
    UploadedDt: '2026-01-01T00:00:00',
    CountryCode: 'CA',
    ProductName: 'Identity Verification',
    Record: {
      TransactionRecordID: run.transactionRecordId,
      RecordStatus: 'match',
      DatasourceResults: [],
      Errors: []
    },
    Errors: []
  }
}

export async function startMockUpstream (options: MockUpstreamOptions): Promise<MockUpstream> {
  const requests: SeenRequest[] = []
  const recordWaiters: Array<{ count: number, resolve: (seen: readonly SeenRequest[]) => void }> = []
  function recordSeen (seen: SeenRequest): void {
    requests.push(seen)
    for (const waiter of [...recordWaiters]) {
      if (requests.length < waiter.count) continue
      recordWaiters.splice(recordWaiters.indexOf(waiter), 1)
      waiter.resolve(requests)
    }
  }
  const stats = { connections: 0, open: 0, maxOpen: 0 }
  const socketIds = new WeakMap<object, number>()
  const expectedAuth = options.username === undefined
    ? undefined
    : 'Basic ' + Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')

  const issued = new Map<string, { scope: string, expiresAt: number }>()
  const tokens: MockTokens = {
    calls: [],
    fail: undefined,
    lifetimeSeconds: options.tokenLifetimeSeconds ?? 1800,
    shape: undefined,
    delayMs: 0,
    issued,
    revokeAll: () => { issued.clear() },
    clientSecret: options.clientSecret
  }
  const accepted: string[] = []
  const verifications: MockVerifications = { runs: [], delayMs: 0, cut: false }
  const apiKeyPrefix = options.apiKeyPrefix ?? '/selfserve/'

  const refused = new Map<string, AlertName>()
  const refusals: Array<{ alert: AlertName, serialNumber: string | undefined }> = []
  const server = https.createServer({
    cert: options.cert,
    key: options.key,
    ca: options.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
    maxVersion: options.maxVersion ?? 'TLSv1.3',
    keepAliveTimeout: 30_000
  }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ mockError: err.message }))
    })
  })

  server.on('secureConnection', (socket) => {
    stats.connections++
    stats.open++
    stats.maxOpen = Math.max(stats.maxOpen, stats.open)
    socketIds.set(socket, stats.connections)
    socket.once('close', () => { stats.open-- })
  })
  // A client the TLS layer refused is not an error of the mock.
  server.on('tlsClientError', () => {})

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://mock.invalid')
    const hash = createHash('sha256')
    let bodyBytes = 0
    const wantsBody = !url.pathname.startsWith('/__mock/hang')
    const isTokenCall = url.pathname === '/connect/token'
    // the body is kept for the token call's form and for /__mock/reflect, which answers it
    const keepsBody = isTokenCall || url.pathname === '/__mock/reflect'
    const form: Buffer[] = []
    // captured now: the socket may be gone by the time a cut body is noticed
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerCertificate()
    let complete = wantsBody || req.complete
    if (wantsBody) {
      try {
        for await (const chunk of req) {
          bodyBytes += (chunk as Buffer).length
          hash.update(chunk as Buffer)
          if (keepsBody) form.push(chunk as Buffer)
        }
      } catch {
        // 'aborted' (ECONNRESET) or a premature close: the body was cut short
        complete = false
      }
      // the iterator can also end quietly on a close before the request's end
      complete &&= req.complete
    }
    const seen: SeenRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      clientSerial: peer?.raw === undefined ? undefined : new X509Certificate(peer.raw).serialNumber,
      clientSubject: peer?.subject?.CN as string | undefined,
      bodyBytes,
      bodySha256: hash.digest('hex'),
      complete,
      socketId: socketIds.get(socket) ?? 0
    }
    recordSeen(seen)
    if (!complete && wantsBody) return // no one is left to answer

    if (url.pathname === '/__mock/reflect') return reflect(url, Buffer.concat(form), res)
    if (url.pathname.startsWith('/__mock/')) return testHelper(url, req, res, seen)
    if (isTokenCall && req.method === 'POST' && options.clientId !== undefined) return tokenEndpoint(new URLSearchParams(Buffer.concat(form).toString('utf8')), res)

    const bearerScope = Object.entries(MOCK_SCOPES).find(([prefix]) => url.pathname.startsWith(prefix))?.[1]
    if (bearerScope !== undefined && options.clientId !== undefined) {
      const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
      const known = given === undefined ? undefined : issued.get(given)
      if (known === undefined || known.scope !== bearerScope || Date.now() >= known.expiresAt) {
        res.setHeader('www-authenticate', 'Bearer error="invalid_token"')
        return json(res, 401, { Message: 'Authorization has been denied for this request.' })
      }
      accepted.push(url.pathname)
      if (req.method === 'GET' && url.pathname === '/v3/connection/testauthentication') return json(res, 200, `Hello ${options.clientId}`)
      if (req.method === 'POST' && url.pathname === '/v3/verifications/verify') return await verify(url.pathname, res)
      return json(res, 200, { path: url.pathname, scope: bearerScope, bodyBytes })
    }
    if (options.apiKey !== undefined && url.pathname.startsWith(apiKeyPrefix)) {
      if (req.headers['x-trulioo-api-key'] !== options.apiKey) return json(res, 401, { Message: 'Invalid API key.' })
      accepted.push(url.pathname)
      return json(res, 200, { path: url.pathname })
    }

    if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
      return json(res, 401, { Message: 'Authorization has been denied for this request.' })
    }
    if (req.method === 'GET' && url.pathname === '/connection/v1/testauthentication') {
      return json(res, 200, `Hello ${options.username ?? 'anonymous'}`)
    }
    if (req.method === 'POST' && url.pathname === '/verifications/v1/verify') return await verify(url.pathname, res)
    return json(res, 404, { Message: `No HTTP resource was found that matches the request URI '${url.pathname}'.` })
  }

  /** Runs a verification: counted with fresh ids, answered after `delayMs`, whole or cut after the ids. */
  async function verify (path: string, res: ServerResponse): Promise<void> {
    const run: MockVerification = { path, transactionId: randomUUID(), transactionRecordId: randomUUID() }
    verifications.runs.push(run)
    if (verifications.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, verifications.delayMs))
    if (!verifications.cut) return json(res, 200, verificationAnswer(run))
    const text = JSON.stringify(verificationAnswer(run))
    const at = text.indexOf(run.transactionRecordId) + run.transactionRecordId.length + 1
    await cutAnswer(res, text, at)
  }

  /**
   * `/__mock/reflect`: answers the request body as JSON. `?chunk=N`: in N-byte
   * writes, 5 ms apart; `?pause=MS`: MS of silence after the first write;
   * `?cut=N`: N bytes, then the connection is dropped.
   */
  async function reflect (url: URL, body: Buffer, res: ServerResponse): Promise<void> {
    const cut = url.searchParams.get('cut')
    if (cut !== null) return await cutAnswer(res, body, Number(cut))
    const chunk = Number(url.searchParams.get('chunk') ?? body.length)
    const pause = Number(url.searchParams.get('pause') ?? 5)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    for (let at = 0; at < body.length; at += chunk) {
      res.write(body.subarray(at, at + chunk))
      // a pause between writes, so that they arrive as separate reads
      if (at + chunk < body.length) await new Promise((resolve) => setTimeout(resolve, at === 0 ? pause : 5))
    }
    res.end()
  }

  async function tokenEndpoint (form: URLSearchParams, res: ServerResponse): Promise<void> {
    const scope = form.get('scope') ?? undefined
    const record = (status: number): void => { tokens.calls.push({ scope, clientId: form.get('client_id') ?? undefined, status, at: Date.now() }) }
    if (tokens.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, tokens.delayMs))
    if (tokens.fail === 'reset') {
      record(0)
      res.socket?.destroy()
      return
    }
    if (tokens.fail === 'unavailable') {
      record(503)
      return json(res, 503, { error: 'temporarily_unavailable' })
    }
    if (tokens.fail === 'invalid_client' || form.get('grant_type') !== 'client_credentials' ||
        form.get('client_id') !== options.clientId || form.get('client_secret') !== tokens.clientSecret) {
      record(400)
      return json(res, 400, { error: form.get('grant_type') === 'client_credentials' ? 'invalid_client' : 'unsupported_grant_type' })
    }
    if (scope === undefined || !Object.values(MOCK_SCOPES).includes(scope)) {
      record(400)
      return json(res, 400, { error: 'invalid_scope' })
    }
    const token = randomBytes(24).toString('base64url')
    issued.set(token, { scope, expiresAt: Date.now() + tokens.lifetimeSeconds * 1000 })
    record(200)
    const lifetime = 'expiresIn' in tokens ? tokens.expiresIn : tokens.lifetimeSeconds
    const shape = tokens.shape ?? (scope === 'workflow.studio.api' ? 'workflow' : 'napi')
    const answer: Record<string, unknown> = shape === 'workflow'
      ? { Token: token, TokenType: 'bearer', ExpiresIn: lifetime }
      : { access_token: token, expires_in: lifetime, token_type: 'Bearer', scope }
    return json(res, 200, answer)
  }

  async function testHelper (url: URL, req: IncomingMessage, res: ServerResponse, seen: SeenRequest): Promise<void> {
    const [, , name, arg] = url.pathname.split('/')
    switch (name) {
      case 'echo':
        res.setHeader('connection', 'keep-alive, x-mock-hop')
        res.setHeader('keep-alive', 'timeout=30')
        res.setHeader('x-mock-hop', 'should-not-leak')
        return json(res, 200, seen)
      case 'status':
        res.setHeader('retry-after', '0')
        // `?header=name:value` (repeatable) adds response headers, e.g. to try to pass as the sidecar
        for (const pair of url.searchParams.getAll('header')) {
          const at = pair.indexOf(':')
          if (at > 0) res.appendHeader(pair.slice(0, at), pair.slice(at + 1))
        }
        return json(res, Number(arg), { status: Number(arg), from: 'mock' })
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, Number(arg)))
        return json(res, 200, { slept: Number(arg) })
      case 'hang':
        return // never answers; the socket stays open until the client gives up
      case 'drop':
        // the request ran (it is recorded), then the connection dies without an answer
        req.socket.destroy()
        return
      case 'stall':
        // headers and `arg` bytes of body, then silence: a download that stops midway
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(Number(arg) * 2) })
        res.write(patternBytes(0, Number(arg)))
        return
      case 'late': {
        // silence for `arg` ms, then headers and half the body, 300 ms, the rest: an
        // answer that comes after the application may have gone, and takes a while
        await new Promise((resolve) => setTimeout(resolve, Number(arg)))
        const half = 1000
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(half * 2) })
        res.write(patternBytes(0, half))
        await new Promise((resolve) => setTimeout(resolve, 300))
        res.end(patternBytes(half, half))
        return
      }
      case 'pause': {
        // headers and half the body at once, then `arg` ms of silence, then the rest
        const half = 1000
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(half * 2) })
        res.write(patternBytes(0, half))
        await new Promise((resolve) => setTimeout(resolve, Number(arg)))
        res.end(patternBytes(half, half))
        return
      }
      case 'download': {
        const total = Number(arg)
        const chunked = url.searchParams.get('chunked') === '1'
        res.writeHead(200, chunked
          ? { 'content-type': 'application/octet-stream' }
          : { 'content-type': 'application/octet-stream', 'content-length': String(total) })
        await writePattern(res, total)
        res.end()
        return
      }
      default:
        return json(res, 404, { mock: 'no such helper' })
    }
  }

  // with handshake alerts, a front takes the connections and hands the accepted ones to `server`
  const front = options.handshakeAlerts === true
    ? handshakeAlertServer({
      secureContext: () => tlsContext,
      trusted: [options.clientCa].flat().flatMap((pem) => pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem)),
      verdict: (serial) => serial === undefined ? undefined : refused.get(serial),
      now: options.now ?? Date.now,
      accepted: (socket) => { server.emit('secureConnection', socket) },
      refused: (alert, serialNumber) => { refusals.push({ alert, serialNumber }) }
    })
    : undefined
  // sessionIdContext: OpenSSL refuses to resume a session of a server that verifies clients without one (internal_error)
  const tlsContext = tls.createSecureContext({ cert: options.cert, key: options.key, ca: options.clientCa, maxVersion: options.maxVersion ?? 'TLSv1.3', sessionIdContext: 'trulioo-mock' })
  const listening = front ?? server
  listening.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  await once(listening, 'listening')
  const address = listening.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    requests,
    whenRecorded: (count) => requests.length >= count
      ? Promise.resolve(requests)
      : new Promise((resolve) => { recordWaiters.push({ count, resolve }) }),
    stats,
    tokens,
    accepted,
    verifications,
    refusals,
    refuse: (serialNumber, alert = 'certificate_revoked') => {
      if (front === undefined) throw new Error('the mock refuses a serial only with handshakeAlerts')
      refused.set(serialNumber.toUpperCase(), alert)
    },
    accept: (serialNumber) => { refused.delete(serialNumber.toUpperCase()) },
    async close () {
      front?.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** The head (with the whole length), the first `at` bytes of `body`, then the connection dropped: an answer cut short. */
async function cutAnswer (res: ServerResponse, body: string | Buffer, at: number): Promise<void> {
  const bytes = Buffer.from(body)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length })
  await new Promise<void>((resolve) => res.write(bytes.subarray(0, at), () => resolve()))
  // a moment for the bytes to be read before the cut
  await new Promise((resolve) => setTimeout(resolve, 20))
  res.socket?.destroy()
}

function json (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** The deterministic byte pattern downloads are made of: byte i is i % 251. */
export function patternBytes (offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) out[i] = (offset + i) % 251
  return out
}

async function writePattern (res: ServerResponse, total: number): Promise<void> {
  const size = 64 * 1024
  for (let offset = 0; offset < total; offset += size) {
    const ok = res.write(patternBytes(offset, Math.min(size, total - offset)))
    if (!ok) await once(res, 'drain')
  }
}
