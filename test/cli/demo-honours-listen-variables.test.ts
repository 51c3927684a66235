import { createServer } from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { freePort } from '../helpers/harness.js'
import { socketClient, socketDir } from '../helpers/socket-dir.js'
import { join } from 'node:path'
import { spawnSidecar } from '../helpers/spawn-sidecar.js'

// The demo reads LISTEN_PORT, ADMIN_PORT and LISTEN_SOCKET as serve does (a
// flag wins), and a start-up error names what it really read: the flag when
// the value came from one, the variable otherwise. It used to ignore the
// variables and name LISTEN_PORT for a busy --port.

async function demoAnswers (t: Test, origin: string, dispatcher?: ReturnType<typeof socketClient>): Promise<void> {
  const res = await request(`${origin}/connection/v1/testauthentication`, dispatcher === undefined ? {} : { dispatcher })
  t.equal(res.statusCode, 200)
  t.equal(await res.body.text(), '"Hello demo-user"')
}

t.test('LISTEN_PORT and ADMIN_PORT from the environment; the demo tells the retry story', async (t) => {
  const port = await freePort()
  const adminPort = await freePort()
  const demo = spawnSidecar(t, ['demo'], { LISTEN_PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: 'info' })
  await demo.waitForLine(/^NAPI v1/, 30_000)
  await demoAnswers(t, `http://127.0.0.1:${port}`)
  const ready = await request(`http://127.0.0.1:${adminPort}/readyz`)
  t.equal(ready.statusCode, 200, 'the admin listener is on ADMIN_PORT')
  await ready.body.dump()
  // issue 18 item 5: an app times out, retries with the same key, gets the first
  // answer marked replayed, and the mock ran one verification
  await demo.waitForLine(/\/transactions lists/, 30_000)
  const story = demo.stderr.slice(demo.stderr.findIndex((l) => l.startsWith('Idempotency-Key:')))
  t.match(story[0], /calls POST \/verifications\/v1\/verify with Idempotency-Key demo-/)
  t.match(story[1], /the app gives up after 300 ms/)
  const retry = /retry with the same key -> 200, Idempotent-Replayed: true, TransactionID ([\da-f-]{36}), TransactionRecordID ([\da-f-]{36})$/.exec(story[2] ?? '')
  t.ok(retry, `the retry is replayed with the ids: ${story[2] ?? ''}`)
  t.equal(story[3], '  the mock ran 1 verification')
  t.match(story[4], `/transactions lists the call whose answer the app lost (answer-lost): TransactionID ${retry?.[1] ?? 'none'}`)
  const listing = await request(`http://127.0.0.1:${adminPort}/transactions`)
  const calls = (await listing.body.json() as { calls: Array<Record<string, unknown>> }).calls
  t.same(calls.map((c) => [c.transactionId, c.transactionRecordId]), [[retry?.[1], retry?.[2]]], '/transactions names the same call')
  t.ok(demo.stderr.some((l) => l.includes(`curl -s http://127.0.0.1:${adminPort}/transactions`)), 'and the demo says where to look')
  demo.child.kill('SIGTERM')
  t.equal(await demo.exited, 0)
})

t.test('--port wins over LISTEN_PORT', async (t) => {
  const port = await freePort()
  const demo = spawnSidecar(t, ['demo', '--port', String(port), '--admin-port', '0'], { LISTEN_PORT: '1', LOG_LEVEL: 'info' })
  await demo.waitForLine(/^NAPI v1/, 30_000)
  await demoAnswers(t, `http://127.0.0.1:${port}`)
  demo.child.kill('SIGTERM')
  t.equal(await demo.exited, 0)
})

t.test('LISTEN_SOCKET from the environment: the demo listens there and its curl lines say so', async (t) => {
  const socketPath = join(socketDir(t), 'demo.sock')
  const demo = spawnSidecar(t, ['demo'], { LISTEN_SOCKET: socketPath, ADMIN_PORT: String(await freePort()), LOG_LEVEL: 'info' })
  await demo.waitForLine(/^NAPI v1.* 200 /, 30_000)
  t.ok(demo.stderr.some((l) => l.includes(`curl -s --unix-socket ${socketPath} http://sidecar/connection/v1/testauthentication`)))
  // the story's calls go through the socket, its /transactions to the admin port
  await demo.waitForLine(/the mock ran 1 verification/, 30_000)
  t.match(await demo.waitForLine(/\/transactions lists/, 30_000), /\(answer-lost\): TransactionID [\da-f-]{36}$/)
  await demoAnswers(t, 'http://sidecar', socketClient(t, socketPath))
  demo.child.kill('SIGTERM')
  t.equal(await demo.exited, 0)
})

t.test('a busy port is reported under the name the demo read it from', async (t) => {
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { busy.close() })
  const port = String((busy.address() as { port: number }).port)
  for (const [args, env, named] of [
    [['--port', port], {}, '--port'],
    [[], { LISTEN_PORT: port }, 'LISTEN_PORT']
  ] as const) {
    const demo = spawnSidecar(t, ['demo', '--admin-port', '0', ...args], { ...env, LOG_LEVEL: 'warn' })
    t.equal(await demo.exited, 78, `exit 78 for a busy ${named}`)
    const line = demo.stderr.find((l) => l.includes('configuration error'))
    t.equal(line, `trulioo-mtls-sidecar: configuration error: ${named}: 127.0.0.1:${port} is already in use (the demo takes --port or LISTEN_PORT; 0 picks a free port)`)
  }
})

t.test('a malformed LISTEN_PORT names LISTEN_PORT', async (t) => {
  const demo = spawnSidecar(t, ['demo'], { LISTEN_PORT: 'eighty', LOG_LEVEL: 'warn' })
  t.equal(await demo.exited, 78)
  t.match(demo.stderr.join('\n'), /configuration error: LISTEN_PORT: .*\(the demo takes --port or LISTEN_PORT/)
})
