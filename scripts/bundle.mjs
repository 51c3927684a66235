#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js) into dist/bundle/: `serve`
// starts from a handful of files instead of several hundred (Fastify, undici,
// ajv, pino, TypeBox and ours), about a third less time from exec to the
// first proxied answer and less memory. Code splitting keeps every command's
// lazy import lazy: `csr`, `check`, `demo` and the mock are chunks of their
// own, loaded only when they run. dist/bundle/meta.json says which sources
// each chunk holds (test/cli/serve-loads-only-what-it-runs.test.ts reads it).
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

/** `undici`, from our code and from @fastify/reply-from alike, is the part of it we use: scripts/undici-slim.cjs says why. */
const slimUndici = {
  name: 'slim-undici',
  setup (build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: fileURLToPath(new URL('undici-slim.cjs', import.meta.url)) }))
  }
}
/**
 * Packages the CLI requires but never runs, left out of the bundle so that
 * `serve` does not parse them at start-up (about 0.6 MB of source): Fastify's
 * schema compilers and ajv behind them (both apps give Fastify compilers of
 * their own, src/no-route-schemas.ts), light-my-request (Fastify's inject(),
 * for tests) and ws (@fastify/http-proxy's WebSocket proxying, never turned
 * on). Each resolves to a stub that throws, naming itself, if it is ever
 * called. test/packaging/bundle-leaves-out.test.ts checks who imports them.
 */
const LEFT_OUT = ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request', 'ws']
const leaveOut = {
  name: 'leave-out',
  setup (build) {
    const filter = new RegExp(`^(${LEFT_OUT.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`)
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'left-out' }))
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `module.exports = function leftOut () { throw new Error(${JSON.stringify(`${args.path} is not in the bundle (scripts/bundle.mjs, LEFT_OUT)`)}) }`,
      loader: 'js'
    }))
  }
}

const result = await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  metafile: true,
  // less to parse at start-up; names are kept, so stack traces and CPU
  // profiles still read (BUNDLE_READABLE=1 keeps the layout too, for profiling)
  minifyWhitespace: process.env.BUNDLE_READABLE !== '1',
  minifySyntax: process.env.BUNDLE_READABLE !== '1',
  plugins: [slimUndici, leaveOut],
  logLevel: 'warning',
  // the dependencies are CommonJS: give the ESM bundle a require() of its own
  banner: { js: "import { createRequire as __sidecarCreateRequire } from 'node:module'; const require = __sidecarCreateRequire(import.meta.url);" }
})
writeFileSync(new URL('../dist/bundle/meta.json', import.meta.url), JSON.stringify(result.metafile))
