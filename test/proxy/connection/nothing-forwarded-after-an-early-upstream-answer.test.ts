import { once } from 'node:events'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { pki, startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { KeptConnection } from '../../helpers/kept-connection.js'
import { accessLines } from '../../helpers/pipeline.js'

// When the upstream answers before the application's (streamed) request body
// has all been read, the answer closes the application's connection
// (reply-from adds `Connection: close`). A request pipelined behind that body
// is read once the body is, before the answer is over: it must not be
// forwarded, since its answer could never be written (RFC 9112 §9.6), and a
// Trulioo call is billable. Before, it was forwarded and ran for no one.
t.test('a request pipelined behind a body the upstream answered early is not forwarded', async (t) => {
  const p = await pki()
  const seen: string[] = []
  let finishEarly: (() => void) | undefined
  const upstream = https.createServer({ cert: p.server.certPem, key: p.server.keyPem, ca: p.ca.certPem, requestCert: true }, (req, res) => {
    seen.push(req.url ?? '')
    req.resume()
    if (req.url === '/early') {
      // answers at once, and finishes its answer only when told
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '4' })
      res.write('ea')
      finishEarly = () => { res.end('ly') }
      return
    }
    res.end()
  })
  upstream.listen(0, '127.0.0.1')
  await once(upstream, 'listening')
  t.teardown(() => { upstream.closeAllConnections(); upstream.close() })

  const mock = await startMock(t) // for the environment only
  const { url, logs, sidecar } = await startProxy(t, mock, {
    UPSTREAM_URL: `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    TLS_SERVERNAME: 'localhost',
    LOG_LEVEL: 'info'
  })
  const connection = await KeptConnection.open(url)
  t.teardown(() => { connection.close() })
  const half = Buffer.alloc(100_000, 0x61)
  const answerBegins = once(connection.socket, 'data')
  connection.socket.write(Buffer.concat([Buffer.from('POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n'), half]))
  await answerBegins
  t.ok(finishEarly, 'the answer has begun while the body is half sent')
  // the rest of the body, and a request behind it
  connection.socket.write(Buffer.concat([half, Buffer.from('GET /pipelined HTTP/1.1\r\nHost: x\r\n\r\n')]))
  t.ok(await waitFor(() => seen.includes('/pipelined') || accessLines(logs).some((l) => l.path === '/pipelined')), 'the pipelined request was read')

  finishEarly?.()
  const answer = await connection.nextAnswer()
  if (typeof answer === 'string') throw new Error(`no answer: ${answer}`)
  t.equal(answer.status, 200)
  t.equal(answer.headers.connection, 'close', 'the early answer closes the connection')
  t.equal(await connection.nextAnswer(), 'FIN', 'and nothing else is answered on it')
  t.same(seen, ['/early'], 'the pipelined request never reached the upstream')
  t.ok(await waitFor(() => sidecar.lifecycle.inFlight === 0), 'nothing left in flight')
  const line = accessLines(logs).find((l) => l.path === '/pipelined')
  t.equal(line?.status, 0, 'its access line says it was not answered')
})
