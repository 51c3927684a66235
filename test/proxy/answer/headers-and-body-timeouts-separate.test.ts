import t from 'tap'
import { request } from 'undici'
import { client, startMock, startProxy, waitFor } from '../../helpers/harness.js'

// UPSTREAM_TIMEOUT_MS bounds the wait for the response headers (a Trulioo
// verification may take two minutes), UPSTREAM_BODY_TIMEOUT_MS the wait
// between two body chunks. Each upstream below is slow by 1 s in one place
// only: if either limit stood in for the other, one of the four would flip.

async function fetchAll (url: string, dispatcher: ReturnType<typeof client>): Promise<{ status: number, error: string | undefined, bytes: number, code: string | undefined }> {
  const res = await request(url, { dispatcher })
  let bytes = 0
  try {
    for await (const chunk of res.body) bytes += (chunk as Buffer).length
    return { status: res.statusCode, error: undefined, bytes, code: res.headers['x-sidecar-error'] as string | undefined }
  } catch (err) {
    return { status: res.statusCode, error: (err as Error).message, bytes, code: undefined }
  }
}

t.test('headers 1.3 s, body 0.6 s: late headers pass, a 1 s pause in the body is cut', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { UPSTREAM_TIMEOUT_MS: '1300', UPSTREAM_BODY_TIMEOUT_MS: '600' })
  const agent = client(t)

  const late = await fetchAll(`${url}/__mock/slow/1000`, agent)
  t.equal(late.status, 200, 'headers after 1 s are within UPSTREAM_TIMEOUT_MS')
  t.equal(late.error, undefined)

  const paused = await fetchAll(`${url}/__mock/pause/1000`, agent)
  t.equal(paused.status, 200, 'the headers had gone out')
  t.not(paused.error, undefined, 'the body fails: a 1 s pause is over UPSTREAM_BODY_TIMEOUT_MS')
  t.equal(paused.bytes, 1000, 'after the half the upstream sent')
  const accessLine = () => logs.lines.find((line) => line.msg === 'request' && String(line.path).startsWith('/__mock/pause'))
  // the access line is written when the sidecar's side of the exchange ends, which may be just after the client's
  t.ok(await waitFor(() => accessLine() !== undefined), 'the access line is written')
  t.equal(accessLine()?.errorCode, 'UPSTREAM_TIMEOUT')
  const warning = logs.lines.find((line) => line.level === 'warn' && line.errorCode === 'UPSTREAM_TIMEOUT')
  t.match(String(warning?.msg ?? '') + JSON.stringify(warning), /UPSTREAM_BODY_TIMEOUT_MS/, 'the warning names the body timeout')
})

t.test('headers 0.6 s, body 1.3 s: late headers get 504, a 1 s pause in the body passes', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_TIMEOUT_MS: '600', UPSTREAM_BODY_TIMEOUT_MS: '1300' })
  const agent = client(t)

  const late = await fetchAll(`${url}/__mock/slow/1000`, agent)
  t.equal(late.status, 504, 'headers after 1 s are over UPSTREAM_TIMEOUT_MS')
  t.equal(late.code, 'UPSTREAM_TIMEOUT')

  const paused = await fetchAll(`${url}/__mock/pause/1000`, agent)
  t.equal(paused.status, 200)
  t.equal(paused.error, undefined, 'a 1 s pause is within UPSTREAM_BODY_TIMEOUT_MS')
  t.equal(paused.bytes, 2000, 'the whole body arrived')
})
