import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { downstreamResponseHeaders, requestIdOf, upstreamRequestHeaders } from '../../../src/proxy/header-policy.js'

// Stage 2 on its own: what crosses the sidecar in each direction.
const context = { host: 'mtls.example', requestId: 'req-1', authorization: 'Basic injected' }

t.test('upstream: hop-by-hop, Connection-listed, forwarding and session headers are dropped; credentials overwritten', async (t) => {
  const out = upstreamRequestHeaders({
    connection: 'keep-alive, x-private', 'keep-alive': 'timeout=5', 'x-private': 'p', te: 'trailers', expect: '100-continue',
    'proxy-authorization': 'Bearer t', 'x-forwarded-for': '10.0.0.1', forwarded: 'for=10.0.0.1', via: '1.1 lb', cookie: 'sid=1',
    authorization: 'Basic from-the-app', host: 'localhost:8080', 'x-request-id': 'app-id', 'content-type': 'application/json', accept: '*/*'
  }, context)
  t.same(out, { 'content-type': 'application/json', accept: '*/*', authorization: 'Basic injected', host: 'mtls.example', 'x-request-id': 'req-1' })
})

t.test('upstream: without configured credentials the application\'s Authorization passes', async (t) => {
  const out = upstreamRequestHeaders({ authorization: 'Bearer app' }, { ...context, authorization: undefined })
  t.equal(out.authorization, 'Bearer app')
})

t.test('downstream: hop-by-hop and x-sidecar-error are dropped, names lowered, the request id set', async (t) => {
  const out = downstreamResponseHeaders({ connection: 'keep-alive, x-hop', 'x-hop': '1', 'Keep-Alive': 'timeout=5', 'X-Sidecar-Error': 'FAKE', 'Content-Type': 'text/plain' }, 'req-2')
  t.same(out, { 'content-type': 'text/plain', 'x-request-id': 'req-2' })
})

t.test('downstream: while draining every answer closes its connection', async (t) => {
  t.equal(downstreamResponseHeaders({ connection: 'keep-alive' }, 'r', true).connection, 'close')
  t.equal(downstreamResponseHeaders({}, 'r', false).connection, undefined)
})

t.test('the request id is the application\'s when it is sane, else a fresh UUID', async (t) => {
  const id = (value?: string): string => requestIdOf({ headers: value === undefined ? {} : { 'x-request-id': value } } as unknown as IncomingMessage)
  t.equal(id('abc-123.x:y@z'), 'abc-123.x:y@z')
  for (const bad of [undefined, '', 'has space', 'x'.repeat(129), 'new\nline']) t.match(id(bad), /^[\da-f]{8}-[\da-f]{4}-/, `replaced: ${JSON.stringify(bad)}`)
})
