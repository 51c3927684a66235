import t from 'tap'
import type { Dispatcher } from 'undici'
import { dispatchWithFallback, type FallbackRoutes, type Route } from '../../src/upstream/fallback.js'
import type { Controller, ExchangeHandler } from '../../src/upstream/handler-api.js'
import { composeOnUndici7 } from '../../src/upstream/undici7-bridge.js'
import { PASSWORD, startMock, startProxy, USERNAME } from '../helpers/harness.js'
import { identitySetDir, seenSerial } from '../helpers/identity-set-dir.js'

// On undici 8 (undici7-bridge.ts deleted) the fallback is handed the chain's
// handler on the new API (onRequestStart, …) and gets from undici's core the
// events of the request's own sending on that API too: onBodySent, then
// onRequestSent, then onResponseStarted. "Sent whole" (metering's see-through,
// the journal) hangs on them, so the fallback passes each on, once for the
// whole request: the body's bytes once, "sent" once, even when the refused
// member's attempt wrote the request before its alert (TLS 1.3) and the next
// member's attempt wrote it again.
//
// undici 7's Agents drop those events for a new-API handler (UnwrapHandler), so
// each member's Agent is reached here through the bridge's base, which passes
// them on as undici 8's core does: real Agents, a real TLS upstream that
// refuses the newest member's certificate.

interface Seen { bodyBytes: number, requestSent: number, responseStarted: number, status: number, body: string }

/** A new-API handler, as an interceptor hands the chain's bottom; resolves with what it was told. */
function recorder (): { handler: ExchangeHandler, done: Promise<Seen> } {
  const seen: Seen = { bodyBytes: 0, requestSent: 0, responseStarted: 0, status: 0, body: '' }
  let settle!: (value: Seen) => void
  let fail!: (err: Error) => void
  const done = new Promise<Seen>((resolve, reject) => { settle = resolve; fail = reject })
  const handler: ExchangeHandler = {
    onRequestStart: (_controller: Controller) => {},
    onBodySent: (chunk) => { seen.bodyBytes += chunk.length },
    onRequestSent: () => { seen.requestSent++ },
    onResponseStarted: () => { seen.responseStarted++ },
    onResponseStart: (_controller, statusCode) => { seen.status = statusCode },
    onResponseData: (_controller, chunk) => { seen.body += chunk.toString('utf8') },
    onResponseEnd: () => { settle(seen) },
    onResponseError: (_controller, err) => { fail(err) }
  }
  return { handler, done }
}

for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
  t.test(`${maxVersion}: a new-API handler is told the body, "sent" and "started" once across the members`, async (t) => {
    const mock = await startMock(t, { maxVersion, handshakeAlerts: true })
    const set = await identitySetDir(t, [{ name: 'old', fromDays: -10 }])
    const refused = await set.add({ name: 'new', fromDays: -1 })
    mock.refuse(refused.serialNumber, 'certificate_revoked')
    const { sidecar } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root })
    const pool = sidecar.pool
    // each member's real Agent, as undici 8 would serve a new-API handler
    const routes: Route[] = pool.routes().map((route) => ({ member: route.member, dispatcher: composeOnUndici7(route.dispatcher, []) }))
    t.equal(routes[0]?.member.source.name, 'new', 'the refused member is tried first')
    const fallback: FallbackRoutes = { routes: () => routes, fates: pool.fates, refused: (route, alert) => { pool.refused(route, alert) }, accepted: (route) => { pool.accepted(route) } }

    const body = Buffer.from('{"CountryCode":"CA","n":1}')
    const { handler, done } = recorder()
    dispatchWithFallback(fallback, routes, {
      origin: mock.url,
      path: '/__mock/echo',
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}` }
    }, handler as unknown as Dispatcher.DispatchHandler)
    const seen = await done

    t.equal(seen.status, 200, 'answered by the member that works')
    t.equal(mock.requests.length, 1, 'run once')
    t.equal(mock.requests[0]?.clientSerial, seenSerial(set.members.old!.cert), 'on the older member')
    t.equal(seen.bodyBytes, body.length, 'the body\'s bytes are told once')
    t.equal(seen.requestSent, 1, '"sent whole" is told once')
    t.equal(seen.responseStarted, 1, '"response started" is told once')
    t.equal(sidecar.store.memberStatus().find((m) => m.name === 'new')?.state, 'rejected')
  })
}
