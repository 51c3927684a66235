import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { type Builder, buildImage, LABEL, requireEngine, ROOT, run } from './engine.js'

// `docker build .` works with BuildKit and with the classic builder: no
// `RUN --mount` (the classic builder stops on it), no `# syntax=` line (BuildKit
// would pull a frontend image), and a real build with each.
t.test('the Dockerfile uses nothing only one builder understands', async (t) => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  const instructions = text.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n')
  t.notMatch(instructions, /--mount=/, 'no RUN --mount')
  t.notMatch(text, /^#\s*syntax=/m, 'no syntax directive')
  t.notMatch(instructions, /\bCOPY\s+--(chmod|link)\b/, 'no BuildKit-only COPY flags')
})

const docker = await requireEngine(t)
if (docker !== undefined) {
  for (const builder of ['classic', 'buildkit'] as Builder[]) {
    t.test(`it builds with the ${builder} builder`, async (t) => {
      const tag = `trulioo-mtls-sidecar:test-${builder}`
      t.teardown(() => run(docker, ['rmi', '-f', tag]).then(() => undefined))
      let built = await buildImage(docker, tag, builder)
      if (built.code !== 0 && builder === 'buildkit' && /buildx component is missing/.test(built.stderr) && existsSync('/usr/bin/docker') && docker !== '/usr/bin/docker') {
        // a newer client needs the buildx plugin for BuildKit; Debian's drives the engine's own
        t.comment(`${docker} has no buildx: BuildKit through /usr/bin/docker`)
        built = await buildImage('/usr/bin/docker', tag, builder)
      }
      if (built.code !== 0) t.comment(built.stderr.split('\n').slice(-30).join('\n'))
      t.equal(built.code, 0, `DOCKER_BUILDKIT=${builder === 'buildkit' ? 1 : 0} docker build .`)
      const labels = (await run(docker, ['inspect', '-f', '{{json .Config.Labels}}', tag])).stdout
      t.match(labels, LABEL.split('=')[0]!, 'the image is the one just built')
    })
  }
}
