import net from 'node:net'
import t from 'tap'
import { call, client, startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { statusOf } from '../../helpers/raw-http.js'

// Issue 16, item 8: a small body (up to 64 KiB) is read whole before an
// upstream connection is taken, so applications that trickle small uploads
// hold none of the UPSTREAM_CONNECTIONS: an ordinary request still gets its
// answer at once.

/** A POST whose body arrives one byte at a time, each byte only when `next()` is called. */
function trickle (url: string, body: string): { next: () => boolean, answer: Promise<string> } {
  const { port } = new URL(url)
  const socket = net.connect(Number(port), '127.0.0.1')
  socket.on('error', () => {})
  socket.write(`POST /__mock/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`)
  let at = 0
  const chunks: Buffer[] = []
  socket.on('data', (c: Buffer) => chunks.push(c))
  const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1'))))
  return {
    next: () => {
      if (at < body.length) socket.write(body[at++] as string)
      return at < body.length
    },
    answer
  }
}

t.test('two trickling small uploads hold no upstream connection; a third request is answered meanwhile', async (t) => {
  const mock = await startMock(t)
  // the queue deadline is long: without the rule, the GET would wait it out
  const { url } = await startProxy(t, mock, { UPSTREAM_CONNECTIONS: '2', UPSTREAM_QUEUE_TIMEOUT_MS: '60000', CLIENT_BODY_TIMEOUT_MS: '60000' })
  const http = client(t)
  const body = JSON.stringify({ CountryCode: 'CA', note: 'trickled' })
  const uploads = [trickle(url, body), trickle(url, body)]
  for (const u of uploads) u.next()
  // both heads and a first byte are in: had they taken connections, both would be busy now
  await new Promise((resolve) => setImmediate(resolve))
  const get = call(http, `${url}/__mock/status/200`)
  // keep trickling while the GET is out; it must not wait for the uploads
  let answered = false
  void get.then(() => { answered = true })
  let uploadsDone = false
  while (!answered) {
    uploadsDone = !uploads.map((u) => u.next()).some((more) => more)
    if (uploadsDone) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(answered && !uploadsDone, 'the GET was answered while both uploads were still trickling')
  t.equal((await get).status, 200)
  while (uploads.map((u) => u.next()).some((more) => more)) await new Promise((resolve) => setImmediate(resolve))
  const answers = await Promise.all(uploads.map((u) => u.answer))
  t.same(answers.map(statusOf), [200, 200], 'both uploads answered once whole')
  const posts = mock.requests.filter((r) => r.method === 'POST')
  t.equal(posts.length, 2)
  t.ok(posts.every((p) => p.bodyBytes === body.length && p.complete), 'each upload arrived upstream whole, in one piece')
})

t.test('a small body that stalls gets 408 CLIENT_TIMEOUT and nothing reaches the upstream', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { CLIENT_BODY_TIMEOUT_MS: '300', LOG_LEVEL: 'info' })
  const up = trickle(url, '{"CountryCode":"CA"}')
  up.next()
  const answer = await up.answer
  t.equal(statusOf(answer), 408)
  t.match(answer, /x-sidecar-error: CLIENT_TIMEOUT/)
  t.match(answer, /nothing was sent upstream/)
  t.same(mock.requests, [], 'the upstream never saw it')
  t.ok(await waitFor(() => logs.lines.some((l) => l.msg === 'request' && l.errorCode === 'CLIENT_TIMEOUT')), 'its access line says CLIENT_TIMEOUT')
})
