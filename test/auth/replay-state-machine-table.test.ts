import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import t from 'tap'
import type { Dispatcher } from 'undici'
import { replayOn401 } from '../../src/auth/replay-on-401.js'
import { TokenStore } from '../../src/auth/token-store.js'
import { TokenFetchError } from '../../src/errors.js'
import { AccessRecord } from '../../src/proxy/access-record.js'
import { ConnectionState } from '../../src/proxy/connection-state.js'
import { Exchange, attachExchange } from '../../src/proxy/exchange.js'
import type { Controller, Dispatch, ExchangeHandler } from '../../src/upstream/handler-api.js'

// The 401 replay's decisions as a table, driven through the interceptor's
// handler calls directly (the end-to-end behaviour against the mock is in
// replay-once-after-401 and replay-not-sent-after-app-left): which answers
// are held, when a second attempt goes out, and what the application sees.

type Step = { status: number, body?: string }
const CONTROLLER: Controller = { aborted: false, paused: false, reason: null, abort: () => {}, pause: () => {}, resume: () => {} }
/** The dispatch below the replay: answers each with the next scripted answer, as undici calls the handler. */
class ScriptedPool {
  readonly sent: Dispatcher.DispatchOptions[] = []
  constructor (private readonly script: Step[]) {}
  readonly dispatch: Dispatch = (options, handler) => {
    const step = this.script[this.sent.length] ?? { status: 599 }
    this.sent.push(options)
    queueMicrotask(() => {
      handler.onRequestStart?.(CONTROLLER, undefined)
      handler.onResponseStart?.(CONTROLLER, step.status, {}, '')
      if (step.body !== undefined) handler.onResponseData?.(CONTROLLER, Buffer.from(step.body))
      handler.onResponseEnd?.(CONTROLLER, {})
    })
    return true
  }
}

interface Seen { status?: number, body: string, error?: string, completed: boolean }
function inner (seen: Seen, done: () => void): ExchangeHandler {
  return {
    onRequestStart: () => {},
    onResponseStart: (_c, status) => { seen.status = status },
    onResponseData: (_c, chunk) => { seen.body += chunk.toString() },
    onResponseEnd: () => { seen.completed = true; done() },
    onResponseError: (_c, err) => { seen.error = err.name; done() }
  }
}

const BIG = 'x'.repeat(70 * 1024)
const ROWS: Array<{ name: string, script: Step[], refresh: 'ok' | 'fails', body?: 'buffer' | 'stream', oauth?: boolean, leaveAtRefresh?: boolean,
  sent: number, status?: number, body0?: string, error?: string }> = [
  { name: 'a 200 passes at once', script: [{ status: 200, body: 'ok' }], refresh: 'ok', sent: 1, status: 200, body0: 'ok' },
  { name: 'a 401 is replayed once with the new token', script: [{ status: 401, body: 'stale' }, { status: 200, body: 'ok' }], refresh: 'ok', sent: 2, status: 200, body0: 'ok' },
  { name: 'a 401 with a small body kept is replayed with the same bytes', script: [{ status: 401 }, { status: 200, body: 'ok' }], refresh: 'ok', body: 'buffer', sent: 2, status: 200 },
  { name: 'a 401 again after the replay goes to the application: never a third attempt', script: [{ status: 401 }, { status: 401, body: 'again' }], refresh: 'ok', sent: 2, status: 401, body0: 'again' },
  { name: 'no new token: the held 401 goes to the application as it came', script: [{ status: 401, body: 'denied' }], refresh: 'fails', sent: 1, status: 401, body0: 'denied' },
  { name: 'a 401 too large to be a stale-token refusal is handed on', script: [{ status: 401, body: BIG }], refresh: 'ok', sent: 1, status: 401 },
  { name: 'a streamed body is never replayed', script: [{ status: 401, body: 'denied' }], refresh: 'ok', body: 'stream', sent: 1, status: 401, body0: 'denied' },
  { name: 'a route without OAuth2 is never replayed', script: [{ status: 401, body: 'denied' }], refresh: 'ok', oauth: false, sent: 1, status: 401, body0: 'denied' },
  { name: 'the application left during the refresh: no replay, the exchange ends', script: [{ status: 401 }, { status: 200 }], refresh: 'ok', leaveAtRefresh: true, sent: 1, error: 'ClientGoneError' }
]

for (const row of ROWS) {
  t.test(row.name, async (t) => {
    const pool = new ScriptedPool(row.script)
    let exchange: Exchange | undefined
    let fetches = 0
    const tokens = new TokenStore(['napi.api'], async () => {
      // the first fetch is the token the request is sent with; the next one is the refresh
      if (fetches++ === 0) return { accessToken: 'first-token', expiresIn: 300 }
      if (row.leaveAtRefresh === true && exchange !== undefined) exchange.clientGone = true
      if (row.refresh === 'fails') throw new TokenFetchError('refused', 'the token endpoint answered 503')
      return { accessToken: `token-${Math.random()}`, expiresIn: 300 }
    })
    t.teardown(() => { tokens.close() })
    const first = await tokens.get('napi.api')
    exchange = new Exchange(new AccessRecord('id', 'POST', '/v3/x', undefined), {} as IncomingMessage, new ConnectionState(), 1, () => {})
    exchange.auth = { route: { prefix: '/v3/', scheme: { kind: 'oauth2', scope: 'napi.api' } }, passThrough: false, authorization: first.authorization, apiKey: undefined, ...(row.oauth === false ? {} : { oauth: { token: first } }) }
    const headers: Record<string, string> = { authorization: first.authorization }
    attachExchange(headers, exchange)
    const body = row.body === 'buffer' ? Buffer.from('{"a":1}') : row.body === 'stream' ? Readable.from(['{"a":1}']) : undefined
    const seen: Seen = { body: '', completed: false }
    await new Promise<void>((resolve) => {
      replayOn401(tokens)(pool.dispatch)({ origin: 'https://upstream.test', path: '/v3/x', method: 'POST', headers, body }, inner(seen, resolve))
    })
    t.equal(pool.sent.length, row.sent, `${row.sent} attempt(s) sent upstream`)
    if (row.status !== undefined) t.equal(seen.status, row.status, `the application sees ${row.status}`)
    if (row.body0 !== undefined) t.equal(seen.body, row.body0, 'with the body of that answer, whole')
    if (row.error !== undefined) t.equal(seen.error, row.error)
    else t.ok(seen.completed, 'the exchange completed')
    if (pool.sent.length === 2) {
      const [a, b] = pool.sent.map((o) => (o.headers as Record<string, string>).authorization)
      t.not(a, b, 'the replay carried a new token')
      t.equal(pool.sent[1]?.body, pool.sent[0]?.body, 'and the same body')
    }
  })
}
