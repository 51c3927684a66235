import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../helpers/root.js'

// `npm run test:container` takes an engine that already answers, as the
// current user, and only otherwise prepares one (root, Debian), saying which.
// The choice alone (CONTAINER_ENGINE_ONLY=1), with stand-in clients on PATH
// and a stand-in for scripts/container-env.sh: nothing is installed here.
const SCRIPT = join(ROOT, 'scripts', 'test-container.sh')
const dir = mkdtempSync(join(tmpdir(), 'tmsc-engine-choice-'))
chmodSync(dir, 0o755) // the unprivileged run below reads the stand-ins
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

function stub (folder: string, name: string, body: string): string {
  const path = join(folder, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

function choose (path: string, extra: Record<string, string> = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT], {
      env: { PATH: `${path}:/usr/bin:/bin`, HOME: dir, CONTAINER_ENGINE_ONLY: '1', CONTAINER_ENV_SCRIPT: join(dir, 'prepare.sh'), CONTAINER_DOCKER_CANDIDATES: 'docker', ...extra },
      timeout: 30_000
    }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

const answering = join(dir, 'answering')
const silent = join(dir, 'silent')
for (const folder of [answering, silent]) mkdirSync(folder, { mode: 0o755 })
stub(answering, 'docker', 'case "$1" in info) exit 0;; version) echo 99.0;; esac')
stub(silent, 'docker', 'exit 1')
stub(dir, 'prepare.sh', 'echo "[stand-in] preparing" >&2; echo /prepared/docker')

t.test('an engine that answers is used as it is, nothing prepared', async (t) => {
  const ran = await choose(answering, { CONTAINER_DOCKER: '' })
  t.equal(ran.code, 0, ran.stderr)
  t.equal(ran.stdout.trim(), join(answering, 'docker'))
  t.match(ran.stderr, /using the container engine already running: .*answering\/docker \(99\.0\), as /)
  t.notMatch(ran.stderr, /preparing/)
})

t.test('CONTAINER_DOCKER names the client to try first', async (t) => {
  const named = stub(dir, 'my-docker', 'case "$1" in info) exit 0;; version) echo 1.2;; esac')
  const ran = await choose(answering, { CONTAINER_DOCKER: named })
  t.equal(ran.stdout.trim(), named)
})

const root = process.getuid?.() === 0
const debian = await new Promise<boolean>((resolve) => execFile('test', ['-r', '/etc/debian_version'], (err) => resolve(err === null)))
t.test('no engine answers, root on Debian: one is prepared, and it says so', { skip: root && debian ? false : 'needs root on Debian' }, async (t) => {
  const ran = await choose(silent, { CONTAINER_DOCKER: join(silent, 'docker') })
  t.equal(ran.code, 0, ran.stderr)
  t.match(ran.stderr, /no container engine answers: preparing one with .*prepare\.sh \(root, Debian\)/)
  t.match(ran.stderr, /\[stand-in\] preparing/)
  t.equal(ran.stdout.trim(), '/prepared/docker')
})

t.test('no engine answers and not root: nothing prepared, the reason said', { skip: root ? false : 'covered by running as a user' }, async (t) => {
  // as an unprivileged user, through setpriv (util-linux), when available
  const ran = await new Promise<{ code: number, stderr: string }>((resolve) => {
    execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', SCRIPT], {
      env: { PATH: `${silent}:/usr/bin:/bin`, HOME: dir, CONTAINER_ENGINE_ONLY: '1', CONTAINER_ENV_SCRIPT: join(dir, 'prepare.sh'), CONTAINER_DOCKER_CANDIDATES: 'docker' },
      timeout: 30_000
    }, (err, _stdout, stderr) => resolve({ code: err === null ? 0 : 1, stderr: String(stderr) }))
  })
  if (/setpriv: (not found|command not found)|ENOENT/.test(ran.stderr)) return t.comment('SKIP setpriv is not available')
  t.not(ran.code, 0)
  t.match(ran.stderr, /no container engine answers 'docker info' as .*preparing one needs root on Debian/)
  t.notMatch(ran.stderr, /stand-in/)
})
