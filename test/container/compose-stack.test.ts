import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildImage, IMAGE, inspect, LABEL, requireEngine, run, waitFor } from './engine.js'

// docker-compose.yml as a user runs it: the demo PKI made by the image's own
// `demo-pki` command, then the stack, and the legacy app's exit code and log.
// Service-to-service traffic stays on the project's own bridge network.
const docker = await requireEngine(t)
const compose = process.env.DOCKER_COMPOSE ?? 'docker-compose'

if (docker !== undefined) {
  const project = `tmsct${process.pid}`
  const dir = mkdtempSync(join(tmpdir(), 'tmsc-compose-'))
  const env = { SIDECAR_IMAGE: IMAGE, DEMO_PKI_DIR: dir, COMPOSE_PROJECT_NAME: project }
  t.teardown(async () => {
    await run(compose, ['-p', project, 'down', '-v', '--remove-orphans', '-t', '5'], { env, timeoutMs: 120_000 })
    rmSync(dir, { recursive: true, force: true })
  })

  t.test('demo-pki in the image writes files the containers can read', async (t) => {
    t.equal((await buildImage(docker)).code, 0, 'image built')
    const uid = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`
    const made = await run(docker, ['run', '--rm', '--label', LABEL, '--read-only', '--network', 'none',
      '--user', uid, '-v', `${dir}:/out`, IMAGE, 'demo-pki', '--out', '/out', '--server-name', 'mock-trulioo'])
    t.equal(made.code, 0, made.stderr)
    t.match(made.stdout, /\/out\/client\.key/)
  })

  t.test('the stack comes up and the legacy app calls Trulioo through the sidecar', async (t) => {
    const up = await run(compose, ['-p', project, 'up', '--no-build', '--exit-code-from', 'legacy-app'], { env, timeoutMs: 240_000 })
    if (up.code !== 0) t.comment(`${up.stdout}\n${up.stderr}`.split('\n').slice(-40).join('\n'))
    t.notOk(up.timedOut, 'within the bound')
    t.equal(up.code, 0, 'the legacy app exited 0')
    const logs = await run(compose, ['-p', project, 'logs', '--no-color', 'legacy-app'], { env })
    t.match(logs.stdout, /"status":200,"sidecarError":null,"body":"\\"Hello demo-user\\""/, 'Trulioo\'s (the mock\'s) answer reached the app')
  })

  t.test('the Trulioo override points at the real endpoint and leaves the mock out', async (t) => {
    const config = await run(compose, ['-f', 'docker-compose.yml', '-f', 'docker-compose.trulioo.yml', 'config'],
      { env: { ...env, TRULIOO_SECRETS_DIR: dir } })
    t.equal(config.code, 0, config.stderr)
    t.match(config.stdout, /UPSTREAM_URL: https:\/\/mtls\.primary\.prod\.trulioo\.com/)
    t.match(config.stdout, /profiles:\s*\n\s*- mock/, 'the mock only with --profile mock')

    // The sidecar starts and turns ready with the override's settings (no call
    // leaves the machine: readiness never asks the upstream).
    const files = ['-f', 'docker-compose.yml', '-f', 'docker-compose.trulioo.yml']
    const overrideEnv = { ...env, TRULIOO_SECRETS_DIR: dir }
    const up = await run(compose, ['-p', project, ...files, 'up', '-d', '--no-build', 'sidecar'], { env: overrideEnv, timeoutMs: 120_000 })
    t.equal(up.code, 0, up.stderr)
    const id = (await run(compose, ['-p', project, ...files, 'ps', '-q', 'sidecar'], { env: overrideEnv })).stdout.trim()
    const health = await waitFor('healthy', async () => {
      const status = await inspect(docker, id, '{{.State.Health.Status}}')
      if (status === 'unhealthy') throw new Error('unhealthy')
      return status === 'healthy' ? status : undefined
    }, 90_000).catch((err: Error) => err.message)
    t.equal(health, 'healthy', 'ready against the real endpoint\'s settings')
    const status = await run(docker, ['exec', id, 'node', '-e',
      'fetch("http://127.0.0.1:9090/status").then((r) => r.json()).then((s) => console.log(s.upstreamUrl))'])
    t.equal(status.stdout.trim(), 'https://mtls.primary.prod.trulioo.com')
    await run(compose, ['-p', project, ...files, 'down', '-v', '--remove-orphans', '-t', '5'], { env: overrideEnv, timeoutMs: 120_000 })
  })
}
