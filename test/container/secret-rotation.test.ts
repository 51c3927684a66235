import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DEMO_PASSPHRASE, DEMO_PASSWORD, DEMO_USERNAME } from '../../src/mock/demo-files.js'
import { startMockUpstream } from '../../src/mock/mock-upstream.js'
import { encryptKey, issueCertificate } from '../../src/mock/pki.js'
import { buildImage, freePort, IMAGE, LABEL, removeContainer, requireEngine, run, uniqueName, waitFor } from './engine.js'
import { containerReadablePki, identityEnv } from './pki.js'

// What deploy/kubernetes/README.md promises: updating the Secret rotates the
// certificate without a restart. The kubelet's Secret volume layout is copied
// here (files are symlinks into ..data, ..data a symlink to a timestamped
// folder, swapped in one rename) and mounted read-only into the container.
const docker = await requireEngine(t)

function getJson (url: string): Promise<{ status: number, body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      res.on('end', () => { try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }) } catch (err) { reject(err) } })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

/** Writes `files` as the kubelet does: into a new ..<stamp> folder, then swaps ..data to it. */
function kubeletWrite (volume: string, stamp: string, files: Record<string, string>): void {
  const folder = join(volume, `..${stamp}`)
  mkdirSync(folder, { mode: 0o755 })
  chmodSync(folder, 0o755)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text, { mode: 0o644 })
  symlinkSync(`..${stamp}`, join(volume, '..data_tmp'))
  renameSync(join(volume, '..data_tmp'), join(volume, '..data'))
  for (const name of Object.keys(files)) {
    try { symlinkSync(`..data/${name}`, join(volume, name)) } catch { /* exists from the first write */ }
  }
  for (const old of readdirSync(volume)) {
    if (old.startsWith('..') && old !== '..data' && old !== `..${stamp}`) rmSync(join(volume, old), { recursive: true, force: true })
  }
}

if (docker !== undefined) {
  t.test('a Secret update (..data swap) is picked up by the running container', async (t) => {
    t.equal((await buildImage(docker)).code, 0, 'image built')
    const pki = await containerReadablePki(t, ['127.0.0.1'])
    const names = ['client.pem', 'client.key', 'passphrase', 'username', 'password', 'ca.pem']
    const current = Object.fromEntries(names.map((n) => [n, readFileSync(join(pki.dir, n), 'utf8')]))
    const volume = mkdtempSync(join(tmpdir(), 'tmsc-secret-volume-'))
    t.teardown(() => { rmSync(volume, { recursive: true, force: true }) })
    chmodSync(volume, 0o755)
    kubeletWrite(volume, '2026_01_01_00_00_00.1', current)

    const mock = await startMockUpstream({
      cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.ca.certPem,
      username: DEMO_USERNAME, password: DEMO_PASSWORD, host: '127.0.0.1', port: 0
    })
    t.teardown(() => mock.close())
    const [port, adminPort] = [await freePort(), await freePort()]
    const name = uniqueName('rotate')
    t.teardown(() => removeContainer(docker, name))
    const started = await run(docker, [
      'run', '-d', '--name', name, '--label', LABEL, '--read-only', '--network', 'host',
      '-v', `${volume}:/etc/trulioo:ro`, ...identityEnv('/etc/trulioo'),
      '-e', 'LISTEN_HOST=127.0.0.1', '-e', `LISTEN_PORT=${port}`,
      '-e', 'ADMIN_HOST=127.0.0.1', '-e', `ADMIN_PORT=${adminPort}`,
      '-e', `UPSTREAM_URL=${mock.url}`, IMAGE
    ])
    t.equal(started.code, 0, started.stderr)
    const admin = `http://127.0.0.1:${adminPort}`
    await waitFor('ready', async () => (await getJson(`${admin}/readyz`)).status === 200 ? true : undefined, 60_000)
    const before = (await getJson(`${admin}/status`)).body.certificate.serialNumber as string
    t.equal(before.toLowerCase(), pki.client.serialNumber.toLowerCase(), 'serving the first certificate')

    const next = await issueCertificate(pki.ca, { commonName: 'rotated-client.example.com', usage: 'client' })
    kubeletWrite(volume, '2026_01_02_00_00_00.2', { ...current, 'client.pem': next.certPem, 'client.key': encryptKey(next.keyPem, DEMO_PASSPHRASE) })

    const after = await waitFor('reloaded', async () => {
      const serial = (await getJson(`${admin}/status`)).body.certificate.serialNumber as string
      return serial.toLowerCase() === next.serialNumber.toLowerCase() ? serial : undefined
    }, 30_000).catch((err: Error) => err.message)
    t.equal(String(after).toLowerCase(), next.serialNumber.toLowerCase(), '/status shows the new certificate, no restart')
    t.equal(await run(docker, ['inspect', '-f', '{{.RestartCount}}', name]).then((r) => r.stdout.trim()), '0')

    const res = await getJson(`http://127.0.0.1:${port}/connection/v1/testauthentication`)
    t.equal(res.status, 200)
    t.equal(mock.requests.at(-1)?.clientSerial?.toLowerCase(), next.serialNumber.toLowerCase(), 'the upstream sees the new certificate')
  })
}
