import { once } from 'node:events'
import t from 'tap'
import { call, client, pki, startMock, startProxy } from '../helpers/harness.js'
import { identitySetDir, seenSerial } from '../helpers/identity-set-dir.js'

// One bad member never stops the others: a member whose key is not its
// certificate's is "failed to load" with the reason, and the good one serves.
// Then the broken member's Secret is fixed by a Kubernetes-style `..data`
// swap while the other serves: the watcher reloads it, and being the newest
// valid one it takes over; a later swap to a broken key keeps its previous
// identity serving, with the reason shown.
t.test('a broken member among good ones, fixed by a ..data swap while the other serves', async (t) => {
  const mock = await startMock(t, { handshakeAlerts: true })
  const set = await identitySetDir(t, [{ name: 'good', fromDays: -10 }, { name: 'broken', fromDays: -1 }])
  const stranger = await (await pki()).issueClient({ keyType: 'ec' })
  const broken = set.members.broken!
  broken.secret.update({ 'tls.crt': broken.cert.certPem, 'tls.key': stranger.keyPem })

  const { sidecar, url, logs } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root })
  const member = (name: string) => sidecar.store.memberStatus().find((m) => m.name === name)
  t.equal(member('broken')?.state, 'failed to load')
  t.match(member('broken')?.error, /^TLS_IDENTITIES_DIR\/broken: TLS_KEY_FILE: .*tls\.key does not match the certificate/)
  t.ok(logs.lines.some((l) => l.level === 'warn' && l.code === 'KEY_MISMATCH'), 'warned at start-up, with its code')
  const app = client(t)
  t.equal((await call(app, `${url}/__mock/echo`)).status, 200)
  t.equal(mock.requests.at(-1)?.clientSerial, seenSerial(set.members.good!.cert), 'the good member serves')

  // the kubelet's atomic update of the broken member's Secret
  const reloaded = once(sidecar.store, 'reload')
  broken.secret.update({ 'tls.crt': broken.cert.certPem, 'tls.key': broken.cert.keyPem })
  const [outcome] = await reloaded as [{ ok: boolean }]
  t.ok(outcome.ok, 'the reload succeeded')
  t.equal(member('broken')?.state, 'active', 'the fixed member, newest, takes over')
  t.equal((await call(app, `${url}/__mock/echo`)).status, 200)
  t.equal(mock.requests.at(-1)?.clientSerial, seenSerial(broken.cert))

  // a bad update of a member that works: its identity keeps serving, the reason is shown
  const failed = once(sidecar.store, 'reload')
  broken.secret.update({ 'tls.crt': broken.cert.certPem, 'tls.key': stranger.keyPem })
  const [bad] = await failed as [{ ok: boolean, error: string }]
  t.notOk(bad.ok)
  t.match(bad.error, /TLS_IDENTITIES_DIR\/broken: .*does not match/)
  t.equal(member('broken')?.state, 'active', 'the identity loaded before keeps serving')
  t.match(member('broken')?.error, /does not match/)
  t.equal((await call(app, `${url}/__mock/echo`)).status, 200)
  t.equal(mock.requests.at(-1)?.clientSerial, seenSerial(broken.cert))
})
