import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import t from 'tap'
import { patternBytes } from '../../../src/mock/mock-upstream.js'
import { pki, startMock, startProxy, USERNAME } from '../../helpers/harness.js'

const CURL = '/usr/bin/curl'

function curl (args: string[]): Promise<{ code: number | null, stdout: Buffer, stderr: string }> {
  return new Promise((done, fail) => {
    // no proxy variables: curl must talk to the sidecar directly
    const child = spawn(CURL, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' }, stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
    child.once('error', fail)
    child.once('close', (code) => done({ code, stdout: Buffer.concat(out), stderr }))
  })
}

t.test('curl GET through the sidecar', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const run = await curl(['-sS', '--noproxy', '*', '-D', '-', `${url}/connection/v1/testauthentication`])
  t.equal(run.code, 0, run.stderr)
  const text = run.stdout.toString('utf8')
  t.match(text, /^HTTP\/1\.1 200 /)
  t.match(text, /x-request-id: [0-9a-f-]{36}/i)
  t.ok(text.endsWith(JSON.stringify(`Hello ${USERNAME}`)), 'the mock\'s greeting')
})

t.test('curl 5 MiB upload: its Expect: 100-continue is answered and every byte arrives', async (t) => {
  const p = await pki()
  const body = patternBytes(12345, 5 * 1024 * 1024)
  const file = p.write('upload.bin', body, 0o644)
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const run = await curl([
    '-sS', '-v', '--noproxy', '*', '--expect100-timeout', '30',
    '-H', 'content-type: application/octet-stream',
    '--data-binary', `@${file}`, `${url}/__mock/echo`
  ])
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, /> Expect: 100-continue/i, 'curl sent Expect: 100-continue')
  t.match(run.stderr, /< HTTP\/1\.1 100 Continue/, 'the sidecar answered 100 Continue')
  t.match(run.stderr, /< HTTP\/1\.1 200 /, 'then the upstream\'s 200')
  const seen = mock.requests[0]
  t.equal(seen?.bodyBytes, body.length, 'all bytes arrived')
  t.equal(seen?.bodySha256, createHash('sha256').update(body).digest('hex'), 'byte for byte')
  t.equal(seen?.headers.expect, undefined, 'Expect itself is not forwarded')
})
