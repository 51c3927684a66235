import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { ROOT } from '../helpers/root.js'

// Start-up used to spend ~100 ms in ajv: env-schema compiles its own options
// schema when it is imported, then ours on every start. The validator is now
// generated at build time (src/config/gen-env-validator.ts): a process that
// loads the configuration loads ajv's runtime helpers at most, never
// env-schema, ajv itself or its compiler. In a process of its own, as the
// tests' own modules would blur the list.
t.test('loading the configuration loads neither env-schema nor ajv\'s compiler', async (t) => {
  const loadConfig = pathToFileURL(join(ROOT, '.build', 'src', 'config', 'load-config.js')).href
  const script = `
    import { createRequire } from 'node:module'
    const { loadConfig } = await import(${JSON.stringify(loadConfig)})
    const config = loadConfig({ env: { TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem', LISTEN_PORT: '8081' }, envFile: false })
    console.log(JSON.stringify({ port: config.LISTEN_PORT, modules: Object.keys(createRequire(import.meta.url).cache) }))`
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 30_000 }, (err, out) => { if (err === null) resolve(out); else reject(err) })
  })
  const { port, modules } = JSON.parse(stdout) as { port: unknown, modules: string[] }
  t.equal(port, 8081, 'the configuration was loaded, the port coerced')
  const ajv = modules.filter((path) => path.includes('/node_modules/ajv/'))
  t.ok(ajv.some((path) => path.endsWith('/ajv/dist/runtime/ucs2length.js')), 'the recorder sees CommonJS modules: the runtime helper is there')
  t.same(modules.filter((path) => path.includes('/node_modules/env-schema/')), [], 'env-schema is not loaded')
  t.same(ajv.filter((path) => !path.includes('/ajv/dist/runtime/')), [], 'nothing of ajv but its runtime helpers')
})
