import t from 'tap'
import { request } from 'undici'
import { client, startMock, startProxy, waitFor } from '../../helpers/harness.js'

// UPSTREAM_BODY_TIMEOUT_MS bounds the wait between two body chunks. Once the
// answer has begun, the only honest signal left is to cut it: the application
// must see a truncated response, never a complete-looking one, and never hang.
t.test('an upstream that stops midway through its body is cut after UPSTREAM_BODY_TIMEOUT_MS', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { UPSTREAM_BODY_TIMEOUT_MS: '400' })
  const res = await request(`${url}/__mock/stall/1000`, { dispatcher: client(t) })
  t.equal(res.statusCode, 200, 'the upstream\'s status had already gone out')
  t.equal(res.headers['content-length'], '2000')
  let received = 0
  const outcome = await (async () => {
    try {
      for await (const chunk of res.body) received += (chunk as Buffer).length
      return 'complete'
    } catch (err) {
      return `failed: ${(err as Error).message}`
    }
  })()
  t.match(outcome, /^failed/, `the application sees the body fail (${outcome})`)
  t.equal(received, 1000, 'after the bytes the upstream did send')
  t.ok(await waitFor(() => logs.lines.some((line) => line.msg === 'request')), 'the access line is written')
  const access = logs.lines.filter((line) => line.msg === 'request')
  t.equal(access.length, 1, 'one access line')
  t.equal(access[0]?.errorCode, 'UPSTREAM_TIMEOUT', 'which names the timeout')
})
