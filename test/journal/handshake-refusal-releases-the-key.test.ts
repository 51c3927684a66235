import t from 'tap'
import { call, client, freePort, pki, startMock, startProxy, type Teardown } from '../helpers/harness.js'
import { identitySetDir } from '../helpers/identity-set-dir.js'
import { accessLines, post, VERIFY } from '../helpers/journal.js'

// A keyed, billable POST whose client certificate the upstream refuses in the
// TLS handshake never reached the upstream's application, even over TLS 1.3,
// where undici has written the request (and reported it sent) before the
// alert arrives. So the key is released, not kept as "outcome unknown": once
// the upstream accepts the certificate, the retry with the same key runs,
// once. The call is not an unknown outcome anywhere else either: no entry in
// /transactions, no answerLost on the access line. For the one identity
// (TLS_CERT_FILE: no fallback, the Agent straight) and for a set whose every
// member is refused (the fallback tries each, then gives up).

interface Shape {
  name: string
  /** Starts the sidecar with its identities refused; returns how to accept them again. */
  start: (t: Teardown, mock: Awaited<ReturnType<typeof startMock>>, admin: number) => Promise<{ url: string, logs: { lines: Array<Record<string, unknown>> }, accept: () => void }>
}

const shapes: Shape[] = [
  {
    name: 'one identity refused',
    start: async (t, mock, admin) => {
      const { serialNumber } = (await pki()).client
      mock.refuse(serialNumber, 'certificate_revoked')
      const { url, logs } = await startProxy(t, mock, { ADMIN_PORT: String(admin) })
      return { url, logs, accept: () => { mock.accept(serialNumber) } }
    }
  },
  {
    name: 'every member of a set refused',
    start: async (t, mock, admin) => {
      const set = await identitySetDir(t, [{ name: 'old', fromDays: -10 }, { name: 'new', fromDays: -1 }])
      const serials = Object.values(set.members).map((m) => m.cert.serialNumber)
      for (const serial of serials) mock.refuse(serial, 'access_denied')
      const { url, logs } = await startProxy(t, mock, { ADMIN_PORT: String(admin), TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root })
      return { url, logs, accept: () => { for (const serial of serials) mock.accept(serial) } }
    }
  }
]

for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
  for (const shape of shapes) {
    t.test(`${maxVersion}, ${shape.name}: the key is released, the retry runs once`, async (t) => {
      const mock = await startMock(t, { maxVersion, handshakeAlerts: true })
      const admin = await freePort()
      const { url, logs, accept } = await shape.start(t, mock, admin)
      const http = client(t)

      const first = await post(http, `${url}${VERIFY}`, 'refused-1', { headers: { 'x-request-id': 'refused-first' } })
      t.equal(first.status, 502)
      t.equal(first.headers['x-sidecar-error'], 'UPSTREAM_TLS_ERROR', 'the refusal is the answer')
      t.ok(mock.refusals.length >= 1, 'the upstream refused the certificate')
      t.equal(mock.verifications.runs.length, 0, 'nothing ran')

      accept()
      const retry = await post(http, `${url}${VERIFY}`, 'refused-1')
      t.equal(retry.status, 200, 'the retry with the same key runs (not 502 OUTCOME_UNKNOWN)')
      t.equal(retry.headers['x-sidecar-error'], undefined)
      t.equal(mock.verifications.runs.length, 1, 'the upstream ran the call once')
      const again = await post(http, `${url}${VERIFY}`, 'refused-1')
      t.equal(again.status, 200, 'and its answer is kept for the next retry')
      t.equal(mock.verifications.runs.length, 1, 'not run again')

      const line = accessLines(logs.lines).find((l) => l.requestId === 'refused-first')
      t.match(line, { status: 502, errorCode: 'UPSTREAM_TLS_ERROR' }, 'the first attempt has its access line')
      t.equal(line?.answerLost, undefined, 'no answer was lost: none was coming')
      const listing = (await call(http, `http://127.0.0.1:${admin}/transactions`)).json() as { calls: unknown[] }
      t.same(listing.calls, [], 'no billable call of unknown outcome')
    })
  }
}
