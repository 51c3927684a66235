import http from 'node:http'
import t from 'tap'
import { DEMO_PASSWORD, DEMO_USERNAME } from '../../src/mock/demo-files.js'
import { startMockUpstream } from '../../src/mock/mock-upstream.js'
import { buildImage, freePort, IMAGE, inspect, LABEL, removeContainer, requireEngine, run, uniqueName, waitFor } from './engine.js'
import { containerReadablePki, identityEnv } from './pki.js'

// A request through the container to the mock upstream running in this test
// process. --network host with every listener on 127.0.0.1: all traffic
// stays on loopback.
const docker = await requireEngine(t)

function get (url: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

if (docker !== undefined) {
  t.test('the container presents the client certificate and injects the credentials', async (t) => {
    t.equal((await buildImage(docker)).code, 0, 'image built')
    const pki = await containerReadablePki(t, ['127.0.0.1'])
    const mock = await startMockUpstream({
      cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.ca.certPem,
      username: DEMO_USERNAME, password: DEMO_PASSWORD, host: '127.0.0.1', port: 0
    })
    t.teardown(() => mock.close())
    const [port, adminPort] = [await freePort(), await freePort()]
    const name = uniqueName('proxy')
    t.teardown(() => removeContainer(docker, name))
    const started = await run(docker, [
      'run', '-d', '--name', name, '--label', LABEL, '--read-only', '--network', 'host',
      '-v', `${pki.dir}:/etc/trulioo:ro`, ...identityEnv('/etc/trulioo'),
      '-e', 'LISTEN_HOST=127.0.0.1', '-e', `LISTEN_PORT=${port}`,
      '-e', 'ADMIN_HOST=127.0.0.1', '-e', `ADMIN_PORT=${adminPort}`,
      '-e', `UPSTREAM_URL=${mock.url}`, IMAGE
    ])
    t.equal(started.code, 0, started.stderr)

    await waitFor('ready', async () => (await get(`http://127.0.0.1:${adminPort}/readyz`)).status === 200 ? true : undefined, 60_000)
    const res = await get(`http://127.0.0.1:${port}/connection/v1/testauthentication`)
    t.equal(res.status, 200, res.body)
    t.equal(JSON.parse(res.body), `Hello ${DEMO_USERNAME}`)
    const seen = mock.requests.find((r) => r.path === '/connection/v1/testauthentication')
    t.ok(seen, 'the mock saw the request')
    t.equal(seen?.clientSerial?.toLowerCase(), pki.client.serialNumber.toLowerCase(), 'with the client certificate from the mounted file')
    t.equal(seen?.headers.authorization, `Basic ${Buffer.from(`${DEMO_USERNAME}:${DEMO_PASSWORD}`).toString('base64')}`, 'and the injected credentials')

    const stopped = await run(docker, ['kill', '--signal', 'TERM', name])
    t.equal(stopped.code, 0)
    const exit = await waitFor('exited', async () => {
      return await inspect(docker, name, '{{.State.Running}}') === 'false' ? inspect(docker, name, '{{.State.ExitCode}}') : undefined
    }, 30_000)
    t.equal(exit, '0', 'SIGTERM: exit 0')
  })
}
