import t from 'tap'
import { startMock, startProxy } from '../helpers/harness.js'

t.test('once the sidecar is closing, a reload is refused instead of building a pool nobody would close', async (t) => {
  const mock = await startMock(t)
  const { sidecar } = await startProxy(t, mock)
  await sidecar.close()
  const outcome = sidecar.store.reload()
  t.equal(outcome.ok, false)
  t.match(outcome.error, /shutting down/)
  t.equal(sidecar.pool.openConnections, 0, 'no upstream connection left open')
})
