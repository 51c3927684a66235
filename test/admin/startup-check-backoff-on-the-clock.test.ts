import t from 'tap'
import { FakeClock } from '../helpers/fake-clock.js'
import { startMock, startProxy, waitFor } from '../helpers/harness.js'

// The start-up check's backoff (1 s, doubling to 30 s) runs on the sidecar's
// clock: the test moves it and sees each retry when it is due, not before.
t.test('a failing start-up check is retried after 1 s, 2 s, 4 s … 30 s of the sidecar\'s clock', async (t) => {
  const mock = await startMock(t)
  const clock = new FakeClock(Date.now())
  const { logs, sidecar } = await startProxy(t, mock, { STARTUP_CHECK: 'true', TRULIOO_PASSWORD: 'wrong-password', CERT_WATCH: 'false' }, { clock })
  const failures = (): unknown[] => logs.lines.filter((l) => /start-up check failed/.test(String(l.msg))).map((l) => l.retryInMs)
  // each attempt is a real call to the mock: its failure line is the event to wait for
  t.ok(await waitFor(() => failures().length === 1), 'the first attempt failed')
  const expected = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
  for (let i = 0; i < expected.length - 1; i++) {
    const delay = expected[i] as number
    await clock.advance(delay - 1)
    t.equal(failures().length, i + 1, `no retry before ${delay} ms`)
    await clock.advance(1)
    t.ok(await waitFor(() => failures().length === i + 2), `retried after ${delay} ms`)
  }
  t.same(failures(), expected, 'the delays double up to 30 s')
  t.equal(sidecar.lifecycle.startupCheckPassed, false, 'still not passed')
})
