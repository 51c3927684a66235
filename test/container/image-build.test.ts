import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildImage, IMAGE, inspect, requireEngine, ROOT, run } from './engine.js'

// The public Dockerfile builds, the image says how it must be run, and its
// labels carry the one version (package.json's), the commit and the licence.
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string, license: string }
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
    t.notOk(config.Env.some((e) => /^(NODE_EXTRA_CA_CERTS|NPM_CA|TLS_|TRULIOO_|PROXY_AUTH)/.test(e)), 'no CA, secret or secret path baked in')
  })

  t.test('OCI labels: the version is package.json\'s, as --version says; the commit; the licence', async (t) => {
    const labels = JSON.parse(await inspect(docker, IMAGE, '{{json .Config.Labels}}')) as Record<string, string>
    const oci = (key: string): string | undefined => labels[`org.opencontainers.image.${key}`]
    t.equal(oci('version'), pkg.version, 'org.opencontainers.image.version')
    const head = (await run('git', ['rev-parse', 'HEAD'])).stdout.trim()
    t.match(oci('revision'), new RegExp(`^${head}(-dirty)?$`), 'org.opencontainers.image.revision is this commit')
    t.equal(oci('licenses'), pkg.license)
    t.equal(oci('title'), 'trulioo-mtls-sidecar')
    t.match(oci('description'), /mutual TLS/)
    t.ok(oci('source') !== undefined, 'org.opencontainers.image.source is set (from IMAGE_SOURCE or the git remote)')
    const said = await run(docker, ['run', '--rm', '--network', 'none', IMAGE, '--version'])
    t.equal(said.stdout.trim(), pkg.version, 'the binary in the image says the same version')
  })

  t.test('a VERSION argument that is not package.json\'s stops the build', async (t) => {
    const built = await run(docker, ['build', '--force-rm', '--build-arg', 'VERSION=0.0.0-not-this', '-t', 'tmsc-test-wrong-version', '.'], { timeoutMs: 600_000 })
    t.not(built.code, 0)
    t.match(built.stdout + built.stderr, /VERSION=0\.0\.0-not-this but package\.json says/)
  })
}
