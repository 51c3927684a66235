import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../helpers/root.js'

// scripts/bundle.mjs leaves out of the bundle what the CLI requires but never
// runs, each replaced by a stub that throws. This holds the list to who
// requires each: a new importer (a dependency upgrade, a change of ours)
// fails here, to be looked at, instead of meeting a stub at run time.

interface Meta { inputs: Record<string, { imports: Array<{ path: string }> }> }
const meta = JSON.parse(readFileSync(join(ROOT, 'dist/bundle/meta.json'), 'utf8')) as Meta

/** Each left-out package, and the only modules allowed to require it. */
const EXPECTED: Record<string, string[]> = {
  '@fastify/ajv-compiler': ['node_modules/fastify/lib/schema-controller.js'],
  '@fastify/fast-json-stringify-compiler': ['node_modules/fastify/lib/schema-controller.js'],
  'light-my-request': ['node_modules/fastify/fastify.js'],
  ws: ['node_modules/@fastify/http-proxy/index.js']
}

t.test('each left-out package is a stub in the bundle, required only where it is never run', async (t) => {
  const stubs = Object.keys(meta.inputs).filter((file) => file.startsWith('left-out:')).map((file) => file.slice('left-out:'.length))
  t.same(stubs.sort(), Object.keys(EXPECTED).sort(), 'the stubs are the ones expected')
  for (const [name, allowed] of Object.entries(EXPECTED)) {
    const importers = Object.entries(meta.inputs)
      .filter(([, input]) => input.imports.some((i) => i.path === `left-out:${name}`))
      .map(([file]) => file)
    t.same(importers, allowed, `${name} is required by ${allowed.join(', ')} only`)
    t.same(Object.keys(meta.inputs).filter((file) => file.startsWith(`node_modules/${name}/`)), [], `none of ${name}'s files is bundled`)
  }
  t.same(Object.keys(meta.inputs).filter((file) => /^node_modules\/ajv\/dist\/(?!runtime\/)/.test(file)), [], 'nothing of ajv but its runtime helpers is bundled')
})

t.test('the reasons they are never run still hold in our code', async (t) => {
  const proxyApp = readFileSync(join(ROOT, 'src/proxy/proxy-app.ts'), 'utf8')
  const adminApp = readFileSync(join(ROOT, 'src/admin/admin-app.ts'), 'utf8')
  const forward = readFileSync(join(ROOT, 'src/proxy/forward.ts'), 'utf8')
  for (const [name, text] of [['proxy-app', proxyApp], ['admin-app', adminApp]] as const) {
    t.match(text, /schemaController: \{ compilersFactory: NO_ROUTE_SCHEMAS \}/, `${name} gives Fastify its own (refusing) compilers`)
    t.notMatch(text, /\.inject\(/, `${name} never calls inject()`)
  }
  t.notMatch(forward, /websocket\s*:\s*true/, 'the proxy route never turns WebSocket proxying on')
})
