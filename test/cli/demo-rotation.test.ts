import t from 'tap'
import { spawnSidecar } from '../helpers/spawn-sidecar.js'

// `demo --rotation`: two members, the new one refused by the mock, the old one
// serving on with no failed call, then the new one accepted and serving.
t.test('demo --rotation shows a rotation without a failed call', async (t) => {
  const demo = spawnSidecar(t, ['demo', '--rotation', '--port', '0', '--admin-port', '0'], { LOG_LEVEL: 'warn' })
  await demo.waitForLine(/^Now: .*new: active/, 30_000)
  const lines = [...demo.stdout, ...demo.stderr]
  const calls = lines.filter((l) => l.includes('POST /verifications/v1/verify ->'))
  t.same(calls.map((l) => /-> (\d+), served with member "(\w+)"/.exec(l)?.slice(1)), [
    ['200', 'old'], ['200', 'old'], ['200', 'old'], ['200', 'new'], ['200', 'new']
  ], 'refused: the old member serves every call; accepted: the new one does')
  t.ok(lines.some((l) => /the upstream refused the client certificate of member new/.test(l)), 'the warn line is logged')
  t.ok(lines.some((l) => /^Refusals seen by the mock: 1 /.test(l)), 'one refusal: the next calls went straight to the old member')
  demo.child.kill('SIGTERM')
  t.equal(await demo.exited, 0)
})
