import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getGlobalDispatcher } from 'undici'
import { loadConfig } from '../config/load-config.js'
import { demoMockOptions, writeDemoFiles } from '../mock/demo-files.js'
import { startMockUpstream } from '../mock/mock-upstream.js'
import { issueCertificate } from '../mock/pki.js'
import { type DemoFlags, demoListeners, explainDemoError } from './demo-settings.js'
import { exitOnStartupError } from './fail.js'
import { serve } from './serve-command.js'

const DAY = 86_400_000

/**
 * `demo --rotation`: a certificate rotation with two members of
 * TLS_IDENTITIES_DIR, on loopback. "old" has served for a month; "new" was
 * just issued and Trulioo (the mock) does not accept it yet. The newest valid
 * member is tried first, refused in the handshake, and every call goes on
 * with "old": no call fails. Then the mock is told to accept "new", a reload
 * (what SIGHUP or a changed Secret does) offers it again, and it serves.
 */
export async function demoRotation (options: DemoFlags = {}): Promise<void> {
  const listeners = demoListeners(options)
  const dir = mkdtempSync(join(tmpdir(), 'trulioo-mtls-demo-rotation-'))
  process.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })
  const files = await writeDemoFiles(dir)
  const identities = join(dir, 'identities')
  const now = Date.now()
  const members = {
    old: await issueCertificate(files.ca, { commonName: 'demo-client-old.example.com', subjectPrefix: 'C=CA, O=Demo Corp', usage: 'client', notBefore: new Date(now - 30 * DAY), notAfter: new Date(now + 20 * DAY) }),
    new: await issueCertificate(files.ca, { commonName: 'demo-client-new.example.com', subjectPrefix: 'C=CA, O=Demo Corp', usage: 'client', notBefore: new Date(now - 60_000), notAfter: new Date(now + 80 * DAY) })
  }
  for (const [name, cert] of Object.entries(members)) {
    mkdirSync(join(identities, name), { recursive: true })
    writeFileSync(join(identities, name, 'tls.crt'), cert.certPem, { mode: 0o644 })
    writeFileSync(join(identities, name, 'tls.key'), cert.keyPem, { mode: 0o600 })
  }
  const mock = await startMockUpstream({ ...demoMockOptions(files), handshakeAlerts: true })
  mock.refuse(members.new.serialNumber, 'certificate_unknown')
  const listenerEnv = Object.fromEntries(Object.entries(listeners).map(([name, setting]) => [name, setting.value]))
  let config
  try {
    config = loadConfig({
      envFile: false,
      env: {
        UPSTREAM_URL: mock.url,
        TLS_IDENTITIES_DIR: identities,
        TLS_CA_FILE: files.caFile,
        TRULIOO_USERNAME_FILE: files.usernameFile,
        TRULIOO_PASSWORD_FILE: files.passwordFile,
        ...listenerEnv,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn'
      }
    })
  } catch (err) {
    await mock.close()
    return exitOnStartupError(explainDemoError(err, listeners))
  }
  const sidecar = await serve({ config, explainStartupError: (err) => explainDemoError(err, listeners) })
  sidecar.proxy.server.once('close', () => { void mock.close() })
  const serial = (hex: string): string => hex.toUpperCase()
  const whose = (seen: string | undefined): string => seen === serial(members.new.serialNumber) ? 'new' : seen === serial(members.old.serialNumber) ? 'old' : '?'
  const say = (line: string): void => { process.stderr.write(`${line}\n`) }
  const calls = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const res = await getGlobalDispatcher().request({ origin: sidecar.proxyUrl, path: '/verifications/v1/verify', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"CountryCode":"CA"}' })
      await res.body.text()
      say(`  POST /verifications/v1/verify -> ${res.statusCode}, served with member "${whose(mock.requests.at(-1)?.clientSerial)}"`)
    }
  }
  const states = (): string => sidecar.store.memberStatus().map((m) => `${m.name}: ${m.state}`).join(', ')

  say('')
  say(`Rotation demo. Mock Trulioo upstream: ${mock.url}; sidecar ${sidecar.proxyUrl}; TLS_IDENTITIES_DIR=${identities}`)
  say(`Two members: "old" (serial ${serial(members.old.serialNumber)}, 20 days left) and "new" (serial ${serial(members.new.serialNumber)}, issued a minute ago).`)
  say(`The newest valid member serves: ${states()}. The mock does not accept "new" yet.`)
  await calls(3)
  say(`Trulioo refused "new" in the handshake: each call went on with "old", none failed. Now: ${states()}.`)
  say(`Refusals seen by the mock: ${mock.refusals.length} (trulioo_sidecar_client_certificate_rejections_total counts them).`)
  say('')
  say('The mock is told to accept "new"; a reload (SIGHUP, or a changed Secret) offers refused members again at once.')
  mock.accept(members.new.serialNumber)
  sidecar.store.reload()
  await calls(2)
  say(`Now: ${states()}. Retire "old" by removing its folder (its Secret's volume) and revoking it in the portal.`)
  say(sidecar.adminUrl === undefined ? '' : `See ${sidecar.adminUrl}/status (identities) and ${sidecar.adminUrl}/metrics. Stop with Ctrl-C.`)
  say('')
}
