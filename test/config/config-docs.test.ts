import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import t from 'tap'
import { renderConfigTable, renderErrorTable, renderExampleEnv, renderMetricsTable, renderReadme, renderStartupErrorTable, replaceBetweenMarkers } from '../../src/config/config-docs.js'
import { CONFIG_VARIABLES, ConfigSchema, SECRET_VARIABLES } from '../../src/config/schema.js'
import { REQUEST_ERRORS, STARTUP_ERRORS } from '../../src/errors.js'
import { ROOT } from '../helpers/root.js'

const root = ROOT
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const exampleEnv = readFileSync(join(root, 'config.example.env'), 'utf8')

t.test('README.md holds exactly the tables the schema and the error registry render (run `npm run docs`)', async (t) => {
  t.equal(readme, renderReadme(readme), 'README.md has drifted from src/config/schema.ts or src/errors.ts: run `npm run docs`')
  t.ok(readme.includes(`<!-- config:begin -->\n${renderConfigTable()}\n<!-- config:end -->`))
  t.ok(readme.includes(`<!-- errors:begin -->\n${renderErrorTable()}\n<!-- errors:end -->`))
  t.ok(readme.includes(`<!-- startup-errors:begin -->\n${renderStartupErrorTable()}\n<!-- startup-errors:end -->`), 'the start-up error table is the one src/errors.ts renders')
  t.ok(readme.includes(`<!-- metrics:begin -->\n${renderMetricsTable()}\n<!-- metrics:end -->`), 'the metrics table is the one src/admin/metrics.ts renders')
})

t.test('every metric in the table is in the README, once, with its type', async (t) => {
  const { METRICS } = await import('../../src/admin/metrics.js')
  for (const m of METRICS) t.equal(readme.split(`| \`${m.name}\` | ${m.type} |`).length, 2, m.name)
})

t.test('config.example.env is what the schema renders (run `npm run docs`)', async (t) => {
  t.equal(exampleEnv, renderExampleEnv(), 'config.example.env has drifted from src/config/schema.ts: run `npm run docs`')
  t.same(parseEnv(exampleEnv), {}, 'every setting is commented out: copying it changes nothing')
})

t.test('every variable, every *_FILE and every error code is documented', async (t) => {
  for (const name of CONFIG_VARIABLES) {
    const doc = (ConfigSchema.properties as Record<string, { description?: string }>)[name]
    t.ok((doc?.description ?? '').length > 10, `${name} has a description in the schema`)
    t.match(readme, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `${name} in the README table`)
    t.match(exampleEnv, new RegExp(`^#${name}=`, 'm'), `${name} in config.example.env`)
  }
  for (const name of SECRET_VARIABLES) t.match(readme, `| \`${name}_FILE\` |`)
  for (const [code, spec] of Object.entries(REQUEST_ERRORS)) {
    t.match(readme, `| ${spec.status} | \`${code}\` |`, `${code} in the error table`)
  }
  for (const code of Object.keys(STARTUP_ERRORS)) t.match(readme, `| \`${code}\` |`, `${code} in the start-up error table`)
  t.match(readme, /\| `LISTEN_PORT` \| `8080` \|/, 'defaults come from the schema')
})

t.test('a drifted README is detected and the markers are required', async (t) => {
  const drifted = readme.replace(/^\| `LISTEN_PORT` .*\n/m, '')
  t.not(drifted, readme)
  t.not(renderReadme(drifted), drifted, 'a missing row is put back')
  t.equal(renderReadme(drifted), readme)
  t.throws(() => replaceBetweenMarkers('no markers here', 'config', 'x'), /lacks the markers/)
})
