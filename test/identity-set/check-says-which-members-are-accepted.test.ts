import t from 'tap'
import { runCheck } from '../../src/check/run-check.js'
import { type MemberVerdict } from '../../src/check/members-step.js'
import { baseEnv, pki, startMock } from '../helpers/harness.js'
import { identitySetDir, seenSerial } from '../helpers/identity-set-dir.js'

// `check` with TLS_IDENTITIES_DIR: the identity steps walk the active member,
// then a handshake and a GET with each member that loads says which ones the
// upstream accepts, over TLS 1.2 and 1.3; a member that does not load is named
// with its reason. It fails when the active member is refused.
for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
  t.test(`${maxVersion}: each member's verdict`, async (t) => {
    const mock = await startMock(t, { maxVersion, handshakeAlerts: true })
    const set = await identitySetDir(t, [{ name: 'a-accepted', fromDays: -10 }, { name: 'b-refused', fromDays: -5 }, { name: 'c-next', fromDays: 3 }, { name: 'd-active', fromDays: -1 }, { name: 'e-broken', fromDays: -1 }])
    mock.refuse(set.members['b-refused']!.cert.serialNumber, 'certificate_revoked')
    set.members['e-broken']!.secret.update({ 'tls.crt': set.members['e-broken']!.cert.certPem, 'tls.key': 'not a key' })
    const env = { ...await baseEnv(mock), TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root }
    for (const k of Object.keys(env)) if (env[k as keyof typeof env] === undefined) delete env[k as keyof typeof env]

    const report = await runCheck({ env: env as NodeJS.ProcessEnv, envFile: false })
    t.ok(report.ok, JSON.stringify(report.steps, null, 2))
    const byId = Object.fromEntries(report.steps.map((s) => [s.id, s]))
    t.match(byId.certificate?.detail, /CN=member-d-active\.test\.example/, 'the identity steps walk the active member')
    const verdicts = Object.fromEntries((byId.members?.data?.members as MemberVerdict[]).map((v) => [v.member, v]))
    t.match(verdicts['a-accepted'], { state: 'standby', verdict: 'accepted' })
    t.match(verdicts['b-refused'], { state: 'standby', verdict: 'refused', reason: 'TLS alert "certificate revoked"' })
    t.match(verdicts['c-next'], { state: 'not yet valid', verdict: 'refused', reason: 'TLS alert "bad certificate"' }, 'the upstream judges it too: not yet valid')
    t.match(verdicts['d-active'], { state: 'active', verdict: 'accepted', serialNumber: seenSerial(set.members['d-active']!.cert) })
    t.match(verdicts['e-broken'], { state: 'failed to load', verdict: 'not tried', reason: /TLS_IDENTITIES_DIR\/e-broken: TLS_KEY_FILE/ })
    t.match(byId.members?.detail, /b-refused \(standby, serial [0-9A-F]+\): refused \(TLS alert "certificate revoked"\)/)
  })
}

t.test('it fails when the active member is refused', async (t) => {
  const mock = await startMock(t, { handshakeAlerts: true })
  const set = await identitySetDir(t, [{ name: 'a', fromDays: -10 }, { name: 'b', fromDays: -1 }])
  mock.refuse(set.members.b!.cert.serialNumber, 'access_denied')
  const env: Record<string, string | undefined> = { ...await baseEnv(mock), TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root }
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  const report = await runCheck({ env: env as NodeJS.ProcessEnv, envFile: false })
  t.notOk(report.ok)
  const members = report.steps.find((s) => s.id === 'members')
  t.equal(members?.status, 'fail')
  t.match(members?.detail, /b \(active, serial [0-9A-F]+\): refused \(TLS alert "access denied"\)/)
  t.equal(members?.advice, (await import('../../src/check/advice.js')).ADVICE.certRejected)
  void pki
})
