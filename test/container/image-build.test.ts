import t from 'tap'
import { buildImage, IMAGE, inspect, requireEngine } from './engine.js'

// The public Dockerfile builds, and the image says how it must be run.
const docker = await requireEngine(t)
if (docker !== undefined) {
  t.test('the image builds from the public Dockerfile', async (t) => {
    const built = await buildImage(docker)
    if (built.code !== 0) t.comment(built.stderr.split('\n').slice(-30).join('\n'))
    t.equal(built.code, 0, 'docker build succeeds')
    t.notOk(built.timedOut, 'within the bound')
  })

  t.test('its configuration: non-root, exec form, healthcheck, ports, listen settings', async (t) => {
    const config = JSON.parse(await inspect(docker, IMAGE, '{{json .Config}}')) as {
      User: string, Entrypoint: string[], Cmd: string[], ExposedPorts: Record<string, unknown>,
      Env: string[], Healthcheck: { Test: string[] }
    }
    t.match(config.User, /^[1-9]\d*(:\d+)?$/, 'a numeric, non-root user')
    t.equal(config.User, '1000:1000')
    t.same(config.Entrypoint, ['node', '--disable-sigusr1', '--', '/app/bin/trulioo-mtls-sidecar.js'],
      'exec form: node is PID 1 and gets SIGTERM; SIGUSR1 opens no inspector; `--`: Node never reads an --env-file itself')
    t.same(config.Cmd, ['serve'])
    t.same(config.Healthcheck.Test, ['CMD', 'node', '/app/bin/trulioo-mtls-sidecar.js', 'healthcheck'], 'no shell, no curl')
    t.ok('8080/tcp' in config.ExposedPorts && '9090/tcp' in config.ExposedPorts, 'both ports exposed')
    t.ok(config.Env.includes('LISTEN_HOST=0.0.0.0'), 'the proxy listens beyond loopback on purpose')
    t.ok(config.Env.includes('ADMIN_HOST=0.0.0.0'))
    t.notOk(config.Env.some((e) => /^(NODE_EXTRA_CA_CERTS|TLS_|TRULIOO_|PROXY_AUTH)/.test(e)), 'no CA, secret or secret path baked in')
  })
}
