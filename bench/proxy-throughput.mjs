// Throughput of the sidecar against the mock upstream, on loopback, next to
// the same load sent straight to the mock over mutual TLS for comparison.
// `npm run bench` builds first; this file imports the built code in ../dist.
//
//   BENCH_SECONDS (5), BENCH_MAX_REQUESTS (20000), BENCH_CONCURRENCY (32)
//
// Numbers are for comparing runs on one machine, not a promise of any kind.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { loadConfig } from '../dist/config/load-config.js'
import { createLogger } from '../dist/logger.js'
import { startMockUpstream } from '../dist/mock/mock-upstream.js'
import { createCertificateAuthority, issueCertificate } from '../dist/mock/pki.js'
import { startSidecar } from '../dist/sidecar.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const MAX_REQUESTS = Number(process.env.BENCH_MAX_REQUESTS ?? 20_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const USERNAME = 'bench-user'
const PASSWORD = 'bench-password'
// a 4 KiB JSON verification request body, exactly
const BODY = JSON.stringify({ CountryCode: 'CA', pad: 'x'.repeat(4096 - JSON.stringify({ CountryCode: 'CA', pad: '' }).length) })
if (Buffer.byteLength(BODY) !== 4096) throw new Error('the bench body must be 4 KiB')

const dir = mkdtempSync(join(tmpdir(), 'sidecar-bench-'))
process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
const put = (name, text) => { const path = join(dir, name); writeFileSync(path, text, { mode: 0o600 }); return path }

const ca = await createCertificateAuthority('Bench CA')
const server = await issueCertificate(ca, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], usage: 'server' })
const clientCert = await issueCertificate(ca, { commonName: 'bench-client', usage: 'client' })
const mock = await startMockUpstream({ cert: server.certPem, key: server.keyPem, clientCa: ca.certPem, username: USERNAME, password: PASSWORD })

const config = loadConfig({
  envFile: false,
  env: {
    UPSTREAM_URL: mock.url,
    LISTEN_PORT: '0',
    ADMIN_PORT: '0',
    TLS_CERT_FILE: put('client.pem', clientCert.certPem),
    TLS_KEY_FILE: put('client.key', clientCert.keyPem),
    TLS_CA_FILE: put('ca.pem', ca.certPem),
    TRULIOO_USERNAME: USERNAME,
    TRULIOO_PASSWORD: PASSWORD,
    LOG_LEVEL: 'silent'
  }
})
const sidecar = await startSidecar({ logger: createLogger('silent'), config })

/** Runs `CONCURRENCY` loops of one call until the time or request budget is spent. */
async function load (name, dispatcher, origin, call, extraHeaders = {}, budget = { seconds: SECONDS, max: MAX_REQUESTS }) {
  const latencies = []
  let errors = 0
  let issued = 0
  const started = performance.now()
  const deadline = started + budget.seconds * 1000
  const connectionsBefore = mock.stats.connections
  mock.requests.length = 0 // the mock records every request: count this run's only, and keep memory flat
  async function worker () {
    while (issued < budget.max && performance.now() < deadline) {
      issued++
      const t0 = performance.now()
      try {
        const res = await request(`${origin}${call.path}`, {
          dispatcher,
          method: call.method,
          headers: { ...call.headers, ...extraHeaders },
          ...(call.body === undefined ? {} : { body: call.body })
        })
        await res.body.dump()
        if (res.statusCode !== 200) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
  return {
    run: name,
    requests: latencies.length,
    errors,
    'req/s': Math.round(latencies.length / elapsed),
    'p50 ms': Number(at(0.5).toFixed(2)),
    'p99 ms': Number(at(0.99).toFixed(2)),
    'upstream sockets used': new Set(mock.requests.map((seen) => seen.socketId)).size,
    'new TLS handshakes': mock.stats.connections - connectionsBefore
  }
}

const calls = {
  'GET testauthentication': { method: 'GET', path: '/connection/v1/testauthentication', headers: {} },
  'POST verify (4 KiB)': { method: 'POST', path: '/verifications/v1/verify', headers: { 'content-type': 'application/json' }, body: BODY }
}

const viaSidecar = new Agent({ connections: CONCURRENCY, pipelining: 1 })
const direct = new Agent({ connections: CONCURRENCY, pipelining: 1, connect: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem, servername: 'localhost' } })
const basic = { authorization: 'Basic ' + Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64') }

console.error(`load: ${SECONDS} s or ${MAX_REQUESTS} requests per run, concurrency ${CONCURRENCY}, UPSTREAM_CONNECTIONS ${config.UPSTREAM_CONNECTIONS}, node ${process.version}`)
const rows = []
try {
  for (const [name, call] of Object.entries(calls)) {
    // warm up both paths first: TLS handshakes and JIT are not what is measured
    await load('warm-up', viaSidecar, sidecar.proxyUrl, call, {}, { seconds: 1, max: 2_000 })
    await load('warm-up', direct, mock.url, call, basic, { seconds: 1, max: 2_000 })
    rows.push(await load(`${name} via sidecar`, viaSidecar, sidecar.proxyUrl, call))
    rows.push(await load(`${name} direct to mock`, direct, mock.url, call, basic))
  }
} finally {
  await viaSidecar.close()
  await direct.close()
  await sidecar.close()
  await mock.close()
}
console.table(rows)
if (rows.some((row) => row.errors > 0)) process.exitCode = 1
