import t from 'tap'
import { buildImage, IMAGE, inspect, LABEL, logLines, removeContainer, requireEngine, run, uniqueName, waitFor } from './engine.js'
import { containerReadablePki, identityEnv } from './pki.js'

// The image as shipped (LISTEN_HOST=0.0.0.0), with a read-only root
// filesystem, no network at all (--network none: the proxy never calls out
// unless asked), and its own HEALTHCHECK (interval shortened for the test).
const docker = await requireEngine(t)
if (docker !== undefined) {
  t.test('read-only, non-root, healthy, warns about 0.0.0.0, and SIGTERM exits 0 within the grace period', async (t) => {
    t.equal((await buildImage(docker)).code, 0, 'image built')
    const pki = await containerReadablePki(t, ['localhost'])
    const name = uniqueName('ro')
    t.teardown(() => removeContainer(docker, name))
    const started = await run(docker, [
      'run', '-d', '--name', name, '--label', LABEL, '--read-only', '--network', 'none',
      '--health-interval', '1s', '--health-start-period', '30s',
      '-v', `${pki.dir}:/etc/trulioo:ro`, ...identityEnv('/etc/trulioo'),
      '-e', 'UPSTREAM_URL=https://localhost:8443', '-e', 'SHUTDOWN_GRACE_MS=25000', IMAGE
    ])
    t.equal(started.code, 0, started.stderr)

    const health = await waitFor('healthy', async () => {
      const status = await inspect(docker, name, '{{.State.Health.Status}}')
      if (status === 'unhealthy') throw new Error('unhealthy')
      return status === 'healthy' ? status : undefined
    }, 60_000).catch((err: Error) => err.message)
    t.equal(health, 'healthy', 'the HEALTHCHECK (healthcheck subcommand, /livez) turns healthy')

    const uid = await run(docker, ['exec', name, 'node', '-p', 'process.getuid() + ":" + process.getgid()'])
    t.equal(uid.stdout.trim(), '1000:1000', 'runs as uid 1000, not root')
    const write = await run(docker, ['exec', name, 'node', '-e', 'require("fs").writeFileSync("/app/x", "")'])
    t.not(write.code, 0, 'the root filesystem is read-only')
    t.match(write.stderr, /EROFS|read-only/i)
    const ready = await run(docker, ['exec', name, 'node', '/app/bin/trulioo-mtls-sidecar.js', 'healthcheck', '--ready'])
    t.equal(ready.code, 0, `healthcheck --ready: ${ready.stdout}${ready.stderr}`)

    const logs = await logLines(docker, name)
    t.ok(logs.some((l) => l.level === 'warn' && /beyond loopback without PROXY_AUTH_TOKEN/.test(String(l.msg))),
      'warns that the proxy listens beyond loopback without a token')
    t.notMatch(JSON.stringify(logs), /demo-password|demo-passphrase/, 'no secret in the log')

    const before = Date.now()
    const stopped = await run(docker, ['stop', '-t', '30', name], { timeoutMs: 60_000 })
    const tookMs = Date.now() - before
    t.equal(stopped.code, 0, stopped.stderr)
    t.ok(tookMs < 25_000, `stopped in ${tookMs} ms, within SHUTDOWN_GRACE_MS (not killed by docker)`)
    t.equal(await inspect(docker, name, '{{.State.ExitCode}}'), '0', 'exit code 0 after SIGTERM')
    t.equal(await inspect(docker, name, '{{.State.OOMKilled}}'), 'false')
    t.ok((await logLines(docker, name)).some((l) => l.msg === 'stopped'), 'drained and said so')
  })
}
