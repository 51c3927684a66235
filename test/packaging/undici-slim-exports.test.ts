import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../helpers/root.js'

// The bundle resolves `undici` to scripts/undici-slim.cjs (see there why). A
// name that the bundle imports from undici but the slim entry lacks would be
// `undefined` at run time, so this reads, from the bundle's own metafile,
// every module that imports it and checks each name it uses.

const require = createRequire(import.meta.url)
const SLIM = 'scripts/undici-slim.cjs'

interface Meta { inputs: Record<string, { imports: Array<{ path: string }> }> }
const meta = JSON.parse(readFileSync(join(ROOT, 'dist/bundle/meta.json'), 'utf8')) as Meta
const importers = Object.entries(meta.inputs)
  .filter(([, input]) => input.imports.some((i) => i.path === SLIM))
  .map(([file]) => file)

function namesUsedBy (file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const names = new Set<string>()
  for (const m of text.matchAll(/import\s*\{([^}]+)\}\s*from\s*['"]undici['"]/g)) {
    for (const part of (m[1] as string).split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0]
      if (name !== undefined && name !== '' && !name.startsWith('type ')) names.add(name)
    }
  }
  for (const m of text.matchAll(/\bundici\.([A-Za-z_$][\w$]*)/g)) names.add(m[1] as string)
  return [...names]
}

t.test('the bundle imports undici only through the slim entry, and every name it uses is there', async (t) => {
  t.ok(importers.includes('node_modules/@fastify/reply-from/lib/request.js'), '@fastify/reply-from is among the importers')
  t.ok(importers.some((file) => file.startsWith('dist/upstream/')), 'our upstream code is among the importers')
  t.notOk(Object.keys(meta.inputs).some((file) => file === 'node_modules/undici/index.js'), 'undici\'s full entry point is not in the bundle')

  const slim = require(join(ROOT, SLIM)) as Record<string, unknown>
  for (const file of importers) {
    const names = namesUsedBy(file)
    t.ok(names.length > 0, `${file} uses some of undici`)
    for (const name of names) t.not(slim[name], undefined, `${file}: undici.${name} is in the slim entry`)
  }
})

t.test('the slim entry hands out undici\'s own classes, with the request API on every dispatcher', async (t) => {
  const slim = require(join(ROOT, SLIM)) as Record<string, unknown>
  const full = require('undici') as Record<string, unknown>
  for (const name of ['Agent', 'Client', 'Pool', 'BalancedPool', 'ProxyAgent', 'Dispatcher', 'buildConnector', 'errors', 'getGlobalDispatcher']) {
    t.equal(slim[name], full[name], `${name} is undici's own`)
  }
  const proto = (slim.Dispatcher as { prototype: Record<string, unknown> }).prototype
  for (const method of ['request', 'stream', 'pipeline', 'connect', 'upgrade']) t.type(proto[method], 'function', `dispatcher.${method}()`)
})
