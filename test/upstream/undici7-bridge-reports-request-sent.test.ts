import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import t from 'tap'
import { Agent, type Dispatcher } from 'undici'
import type { Controller, ExchangeHandler, Interceptor } from '../../src/upstream/handler-api.js'
import { composeOnUndici7 } from '../../src/upstream/undici7-bridge.js'
import type { MockUpstream } from '../../src/mock/mock-upstream.js'
import { pki, startMock, type Teardown } from '../helpers/harness.js'

// undici 7 hands a handler on the new API only what its UnwrapHandler passes
// on, and that is neither onBodySent nor onRequestSent; undici7-bridge.ts
// passes both. Through the composed chain, against a real TLS server on
// loopback, an interceptor sees every body chunk, then "request sent" exactly
// once, after the last byte and before the answer; and the caller on the
// legacy API (reply-from's way in, through `request()`) gets the answer whole.

type Event = { kind: 'body' | 'sent' | 'answer' | 'end', total: number }

/** An interceptor that writes down what its handler is told, and passes everything on. */
function probe (events: Event[]): Interceptor {
  return (dispatch) => function probed (options, handler) {
    return dispatch(options, new Probe(handler, events))
  }
}

class Probe implements ExchangeHandler {
  #total = 0
  constructor (private readonly inner: ExchangeHandler, private readonly events: Event[]) {}
  onRequestStart (controller: Controller, context: unknown): void { this.inner.onRequestStart?.(controller, context) }
  onBodySent (chunk: Buffer): void {
    this.#total += chunk.length
    this.events.push({ kind: 'body', total: this.#total })
    this.inner.onBodySent?.(chunk)
  }

  onRequestSent (): void {
    this.events.push({ kind: 'sent', total: this.#total })
    this.inner.onRequestSent?.()
  }

  onResponseStart (controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.events.push({ kind: 'answer', total: this.#total })
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }

  onResponseData (controller: Controller, chunk: Buffer): void { this.inner.onResponseData?.(controller, chunk) }
  onResponseEnd (controller: Controller, trailers: IncomingHttpHeaders): void {
    this.events.push({ kind: 'end', total: this.#total })
    this.inner.onResponseEnd?.(controller, trailers)
  }

  onResponseError (controller: Controller, err: Error): void { this.inner.onResponseError?.(controller, err) }
}

/** The mock on loopback, and the chain composed of `interceptors` on an mTLS Agent to it. */
async function chainOnMock (t: Teardown, interceptors: Interceptor[]): Promise<{ mock: MockUpstream, dispatcher: Dispatcher }> {
  const mock = await startMock(t)
  const p = await pki()
  const agent = new Agent({ connect: { ca: p.ca.certPem, cert: p.client.certPem, key: p.client.keyPem } })
  t.teardown(() => agent.close())
  return { mock, dispatcher: composeOnUndici7(agent, interceptors) }
}

const SIZE = 200 * 1024
async function * trickle (): AsyncGenerator<Buffer> {
  for (let i = 0; i < 8; i++) {
    await nextTurn()
    yield Buffer.alloc(SIZE / 8, i)
  }
}

const ROWS: Array<{ name: string, method: Dispatcher.HttpMethod, body: () => Buffer | Readable | undefined, size: number }> = [
  { name: 'a buffered body', method: 'POST', body: () => Buffer.alloc(SIZE, 1), size: SIZE },
  { name: 'a streamed body', method: 'POST', body: () => Readable.from(trickle()), size: SIZE },
  { name: 'no body', method: 'GET', body: () => undefined, size: 0 }
]

t.test('request sent is reported once, after the last body byte, through the composed chain', async (t) => {
  const events: Event[] = []
  const { mock, dispatcher } = await chainOnMock(t, [probe(events)])

  for (const row of ROWS) {
    t.test(row.name, async (t) => {
      events.length = 0
      const res = await dispatcher.request({ origin: mock.url, path: '/__mock/echo', method: row.method, body: row.body() ?? null })
      const seen = await res.body.json() as { bodyBytes: number, complete: boolean }
      t.equal(res.statusCode, 200)
      t.equal(seen.bodyBytes, row.size, 'the upstream got the whole body')
      t.equal(res.headers['x-mock-hop'], 'should-not-leak', 'the legacy caller gets the response head as sent')

      const sent = events.filter((e) => e.kind === 'sent')
      t.equal(sent.length, 1, 'request sent, exactly once')
      t.equal(sent[0]?.total, row.size, 'after the last body byte')
      const at = events.findIndex((e) => e.kind === 'sent')
      t.notOk(events.slice(at).some((e) => e.kind === 'body'), 'and no body chunk after it')
      t.ok(at < events.findIndex((e) => e.kind === 'answer'), 'before the answer')
      if (row.size > 0) t.ok(events.filter((e) => e.kind === 'body').length >= (row.name === 'a streamed body' ? 8 : 1), 'every chunk written was reported')
      t.equal(events.at(-1)?.kind, 'end', 'the answer ended')
    })
  }
})

t.test('a caller on the new API enters the chain as it is', async (t) => {
  const events: Event[] = []
  const { mock, dispatcher } = await chainOnMock(t, [probe(events)])
  const chunks: Buffer[] = []
  const status = await new Promise<number>((resolve, reject) => {
    let code = 0
    const handler: ExchangeHandler = {
      onRequestStart: () => {},
      onResponseStart: (_c, statusCode) => { code = statusCode },
      onResponseData: (_c, chunk) => { chunks.push(chunk) },
      onResponseEnd: () => { resolve(code) },
      onResponseError: (_c, err) => { reject(err) }
    }
    dispatcher.dispatch({ origin: mock.url, path: '/__mock/echo', method: 'POST', body: Buffer.alloc(1000) }, handler as Dispatcher.DispatchHandler)
  })
  t.equal(status, 200)
  t.equal((JSON.parse(Buffer.concat(chunks).toString()) as { bodyBytes: number }).bodyBytes, 1000)
  t.same(events.map((e) => e.kind), ['body', 'sent', 'answer', 'end'])
})

/** An interceptor whose controller, like some third party's, carries no raw head. */
const noRawHead: Interceptor = (dispatch) => function bare (options, handler) {
  return dispatch(options, {
    onRequestStart: (c, context) => { handler.onRequestStart?.(hide(c), context) },
    onBodySent: (chunk) => { handler.onBodySent?.(chunk) },
    onRequestSent: () => { handler.onRequestSent?.() },
    onResponseStart: (c, status, headers, message) => { handler.onResponseStart?.(hide(c), status, headers, message) },
    onResponseData: (c, chunk) => { handler.onResponseData?.(hide(c), chunk) },
    onResponseEnd: (c, trailers) => { handler.onResponseEnd?.(hide(c), trailers) },
    onResponseError: (c, err) => { handler.onResponseError?.(hide(c), err) }
  })
}
function hide (c: Controller): Controller {
  return { get aborted () { return c.aborted }, get paused () { return c.paused }, get reason () { return c.reason }, abort: (r) => { c.abort(r) }, pause: () => { c.pause() }, resume: () => { c.resume() } }
}

t.test('behind a controller without the raw head, the legacy caller gets the head rebuilt', async (t) => {
  const { mock, dispatcher } = await chainOnMock(t, [noRawHead])
  const res = await dispatcher.request({ origin: mock.url, path: '/__mock/echo', method: 'POST', body: Buffer.alloc(10) })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-mock-hop'], 'should-not-leak')
  t.equal((await res.body.json() as { bodyBytes: number }).bodyBytes, 10)
})
