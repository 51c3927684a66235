// `npm run bench`: the sidecar with every feature on (access log at info,
// metrics, admin listener) against a bare Fastify + @fastify/http-proxy proxy
// built from the same dependencies (bench/bare-proxy.mjs) and against direct
// mTLS calls, in one interleaved run (A B C, then C B A), on loopback only.
//
// Prints, per scenario: req/s, the proxy process's CPU µs per request (user +
// sys from /proc, the steadiest figure on a shared machine) and the ratio to
// the bare proxy; then RSS after start-up, with 200 keep-alive clients and at
// peak during 20 concurrent 5 MiB uploads, exec-to-first-200 and --version.
//
//   BENCH_SECONDS (4 per round), BENCH_ROUNDS (2), BENCH_MAX_REQUESTS (50000 per round)
//   BENCH_IDEMPOTENCY_STORE: the sidecar's IDEMPOTENCY_STORE (a Redis or Valkey you started, e.g.
//   unix:///tmp/bench-redis.sock), with a throwaway encryption key; unset: the memory store
//
// Linux only (/proc). Numbers compare runs on one machine; they promise nothing.
import { spawn, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import { createCertificateAuthority, issueCertificate } from '../dist/mock/pki.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'trulioo-mtls-sidecar.js')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const MAX_REQUESTS = Number(process.env.BENCH_MAX_REQUESTS ?? 50_000)
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100)
const USERNAME = 'bench-user'
const PASSWORD = 'bench-p@ss:w0rd'
const BASIC = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`

const SCENARIOS = [
  { name: 'small GET', method: 'GET', path: '/connection/v1/testauthentication', connections: 50 },
  { name: '2 KiB POST', method: 'POST', path: '/verifications/v1/verify', body: Buffer.alloc(2048, 'a'), connections: 50 },
  // each with its own Idempotency-Key: the journal claims, keeps and finishes every one (the
  // bare proxy and direct calls pass the header through; they have no journal)
  { name: '2 KiB keyed POST', method: 'POST', path: '/verifications/v1/verify', body: Buffer.alloc(2048, 'a'), connections: 50, keyed: true },
  { name: '1 MiB download', method: 'GET', path: `/__mock/download/${1 << 20}`, connections: 16 },
  { name: '5 MiB upload', method: 'POST', path: '/verifications/v1/verify', body: Buffer.alloc(5 << 20, 'b'), connections: 16 }
]

const dir = mkdtempSync(join(tmpdir(), 'sidecar-bench-'))
const children = new Set()
const cleanup = () => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
}
process.once('exit', cleanup)
process.once('SIGINT', () => process.exit(130))
const put = (name, text, mode = 0o600) => { const path = join(dir, name); writeFileSync(path, text, { mode }); return path }

const ca = await createCertificateAuthority('Bench CA')
const server = await issueCertificate(ca, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], usage: 'server' })
const client = await issueCertificate(ca, { commonName: 'bench-client', usage: 'client' })
const files = {
  ca: put('ca.pem', ca.certPem, 0o644),
  serverCert: put('server.pem', server.certPem, 0o644),
  serverKey: put('server.key', server.keyPem),
  clientCert: put('client.pem', client.certPem, 0o644),
  clientKey: put('client.key', client.keyPem),
  username: put('username', `${USERNAME}\n`),
  password: put('password', `${PASSWORD}\n`)
}

/** Starts a child process and resolves once `ready()` holds; returns its pid and start-up time. */
async function start (name, args, env, ready) {
  const started = performance.now()
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  children.add(child)
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  child.once('exit', () => children.delete(child))
  const until = Date.now() + 30_000
  while (!(await ready().catch(() => false))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`${name} did not start: ${stderr.slice(0, 2000)}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return { name, child, pid: child.pid, readyMs: performance.now() - started }
}

async function stop (target) {
  target.child.kill('SIGTERM')
  await new Promise((resolve) => { if (target.child.exitCode !== null) resolve(); else target.child.once('exit', resolve) })
}

const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return Number(fields[11]) + Number(fields[12]) // utime + stime
}
const memory = (pid, field) => Number(/(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field)))[1]) / 1024

const MOCK_PORT = 18_643
/** The mock upstream, as its own process (`trulioo-mtls-sidecar mock`), once it answers. */
const startUpstream = () => start('mock', [BIN, 'mock', '--port', String(MOCK_PORT), '--cert-file', files.serverCert, '--key-file', files.serverKey,
  '--client-ca-file', files.ca, '--username-file', files.username, '--password-file', files.password], {}, async () => {
  const probe = new Agent({ connect: { ca: ca.certPem, cert: client.certPem, key: client.keyPem } })
  try {
    const res = await request(`https://127.0.0.1:${MOCK_PORT}/connection/v1/testauthentication`, { dispatcher: probe, headers: { authorization: BASIC } })
    await res.body.dump()
    return res.statusCode === 200
  } finally { await probe.close() }
})
const mock = await startUpstream()

const proxyEnv = (port) => ({
  UPSTREAM_URL: `https://127.0.0.1:${MOCK_PORT}`,
  TLS_CERT_FILE: files.clientCert,
  TLS_KEY_FILE: files.clientKey,
  TLS_CA_FILE: files.ca,
  TRULIOO_USERNAME: USERNAME,
  TRULIOO_PASSWORD_FILE: files.password,
  LISTEN_HOST: '127.0.0.1',
  LISTEN_PORT: String(port),
  ADMIN_PORT: String(port + 1000),
  LOG_LEVEL: 'info',
  ...(process.env.BENCH_IDEMPOTENCY_STORE === undefined
    ? {}
    : { IDEMPOTENCY_STORE: process.env.BENCH_IDEMPOTENCY_STORE, IDEMPOTENCY_ENCRYPTION_KEY_FILE: put('journal.key', `${randomBytes(32).toString('hex')}\n`) })
})
const readyAt = (port) => async () => {
  const res = await request(`http://127.0.0.1:${port}/connection/v1/testauthentication`)
  await res.body.dump()
  return res.statusCode === 200
}

const targets = [
  await start('sidecar', [BIN, 'serve'], proxyEnv(18_680), readyAt(18_680)),
  await start('bare fastify', [join(ROOT, 'bench', 'bare-proxy.mjs')], proxyEnv(18_681), readyAt(18_681)),
  { name: 'direct', pid: undefined }
]
targets[0].url = 'http://127.0.0.1:18680'
targets[1].url = 'http://127.0.0.1:18681'
targets[2].url = `https://127.0.0.1:${MOCK_PORT}`
await new Promise((resolve) => setTimeout(resolve, 500))
const idleRss = Object.fromEntries(targets.filter((t) => t.pid !== undefined).map((t) => [t.name, memory(t.pid, 'VmRSS')]))

/** `connections` loops of one request each, until the time or request budget is spent. */
async function load (target, scenario) {
  const dispatcher = target.name === 'direct'
    ? new Agent({ connections: scenario.connections, connect: { ca: ca.certPem, cert: client.certPem, key: client.keyPem } })
    : new Agent({ connections: scenario.connections })
  const headers = target.name === 'direct' ? { authorization: BASIC } : {}
  if (scenario.body !== undefined) headers['content-type'] = 'application/json'
  let done = 0
  let errors = 0
  let keys = 0
  const deadline = performance.now() + SECONDS * 1000
  const ticks = target.pid === undefined ? 0 : cpuTicks(target.pid)
  const started = performance.now()
  await Promise.all(Array.from({ length: scenario.connections }, async () => {
    while (performance.now() < deadline && done + errors < MAX_REQUESTS) {
      try {
        const sent = scenario.keyed === true ? { ...headers, 'idempotency-key': `bench-${process.pid}-${keys++}` } : headers
        const res = await request(`${target.url}${scenario.path}`, { dispatcher, method: scenario.method, headers: sent, body: scenario.body })
        await res.body.dump({ limit: Infinity })
        if (res.statusCode === 200) done++
        else errors++
      } catch { errors++ }
    }
  }))
  const seconds = (performance.now() - started) / 1000
  const cpuUs = target.pid === undefined ? undefined : (cpuTicks(target.pid) - ticks) * TICK_US
  await dispatcher.close()
  return { done, errors, seconds, cpuUs }
}

const results = new Map()
for (const scenario of SCENARIOS) {
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse()
    for (const target of order) {
      const r = await load(target, scenario)
      const key = `${scenario.name}|${target.name}`
      const sum = results.get(key) ?? { done: 0, errors: 0, seconds: 0, cpuUs: 0 }
      results.set(key, { done: sum.done + r.done, errors: sum.errors + r.errors, seconds: sum.seconds + r.seconds, cpuUs: sum.cpuUs + (r.cpuUs ?? 0) })
      process.stderr.write(`  ${scenario.name.padEnd(15)} round ${round + 1} ${target.name.padEnd(13)} ${Math.round(r.done / r.seconds)} req/s${r.errors > 0 ? `, ${r.errors} errors` : ''}\n`)
    }
  }
}

/** RSS with `n` keep-alive clients connected, each having made one request. */
async function rssWithClients (target, n) {
  const dispatcher = new Agent({ connections: n, keepAliveTimeout: 30_000 })
  await Promise.all(Array.from({ length: n }, async () => {
    const res = await request(`${target.url}/__mock/slow/200`, { dispatcher })
    await res.body.dump()
  }))
  const rss = memory(target.pid, 'VmRSS')
  await dispatcher.close()
  return rss
}

/** Peak RSS (VmHWM) after 20 concurrent 5 MiB uploads. */
async function peakWithUploads (target) {
  const dispatcher = new Agent({ connections: 20 })
  const body = Buffer.alloc(5 << 20, 'c')
  await Promise.all(Array.from({ length: 20 }, async () => {
    const res = await request(`${target.url}/verifications/v1/verify`, { dispatcher, method: 'POST', body, headers: { 'content-type': 'application/json' } })
    await res.body.dump()
  }))
  await dispatcher.close()
  return memory(target.pid, 'VmHWM')
}

const memoryRows = []
for (const target of targets.filter((t) => t.pid !== undefined)) {
  memoryRows.push({ name: target.name, idle: idleRss[target.name], clients: await rssWithClients(target, 200), peak: await peakWithUploads(target), readyMs: target.readyMs })
}
for (const target of targets) if (target.child !== undefined) await stop(target)
await stop(mock)

// a fresh sidecar and bare proxy for start-up time, each against a mock that is already up
const mock2 = await startUpstream()
const startups = { sidecar: [], 'bare fastify': [] }
for (let i = 0; i < 3; i++) {
  const s = await start('sidecar', [BIN, 'serve'], proxyEnv(18_690), readyAt(18_690))
  startups.sidecar.push(s.readyMs)
  await stop(s)
  const b = await start('bare fastify', [join(ROOT, 'bench', 'bare-proxy.mjs')], proxyEnv(18_691), readyAt(18_691))
  startups['bare fastify'].push(b.readyMs)
  await stop(b)
}
await stop(mock2)
const versionMs = []
for (let i = 0; i < 5; i++) {
  const t0 = performance.now()
  execFileSync(process.execPath, [BIN, '--version'])
  versionMs.push(performance.now() - t0)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (n, digits = 0) => n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const lines = []
lines.push(`# sidecar vs bare Fastify + @fastify/http-proxy vs direct (${ROUNDS} rounds x ${SECONDS} s, interleaved; node ${process.versions.node})`)
lines.push('')
lines.push('| scenario | target | req/s | CPU µs/req | CPU x bare |')
lines.push('| --- | --- | ---: | ---: | ---: |')
for (const scenario of SCENARIOS) {
  const bare = results.get(`${scenario.name}|bare fastify`)
  const bareUs = bare.cpuUs / Math.max(1, bare.done)
  for (const target of targets) {
    const r = results.get(`${scenario.name}|${target.name}`)
    const us = target.pid === undefined ? undefined : r.cpuUs / Math.max(1, r.done)
    lines.push(`| ${scenario.name} | ${target.name} | ${fmt(r.done / r.seconds)} | ${fmt(us)} | ${us === undefined ? '-' : fmt(us / bareUs, 2)} |${r.errors > 0 ? ` ${r.errors} errors` : ''}`)
  }
}
lines.push('')
lines.push('| target | RSS after start-up | RSS, 200 keep-alive clients | peak RSS, 20 x 5 MiB uploads | exec to first 200 (median of 3) |')
lines.push('| --- | ---: | ---: | ---: | ---: |')
for (const row of memoryRows) {
  lines.push(`| ${row.name} | ${fmt(row.idle, 1)} MiB | ${fmt(row.clients, 1)} MiB | ${fmt(row.peak, 1)} MiB | ${fmt(median(startups[row.name]))} ms |`)
}
lines.push('')
lines.push(`\`--version\`: ${fmt(median(versionMs))} ms (median of 5)`)
process.stdout.write(`${lines.join('\n')}\n`)
