import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import t from 'tap'
import { GENERATED_FILES, GENERATED_TABLES, renderConfigTable, renderDoc, renderErrorTable, renderExampleEnv, renderMetricsTable, renderStartupErrorTable, replaceBetweenMarkers, staleDocs } from '../../src/config/config-docs.js'
import { CONFIG_VARIABLES, ConfigSchema, SECRET_VARIABLES } from '../../src/config/schema.js'
import { REQUEST_ERRORS, STARTUP_ERRORS } from '../../src/errors.js'
import { ROOT } from '../helpers/root.js'

// The generated tables live in docs/ by topic: the variables in
// docs/configuration.md, the error codes in docs/errors.md, the metrics in
// docs/operations.md; config.example.env beside them. `npm run docs` writes
// them; this test fails when a committed file differs from what is rendered.

const root = ROOT
const read = (file: string): string => readFileSync(join(root, file), 'utf8')
const configuration = read('docs/configuration.md')
const errors = read('docs/errors.md')
const operations = read('docs/operations.md')
const exampleEnv = read('config.example.env')

t.test('docs/ holds exactly the tables the schema, the error registry and the metrics list render (run `npm run docs`)', async (t) => {
  t.same(staleDocs(root), [], 'no generated file has drifted: run `npm run docs`')
  for (const { file } of GENERATED_TABLES) t.equal(read(file), renderDoc(file, read(file)), `${file} is what renders`)
  t.ok(configuration.includes(`<!-- config:begin -->\n${renderConfigTable()}\n<!-- config:end -->`), 'the variables in docs/configuration.md')
  t.ok(errors.includes(`<!-- errors:begin -->\n${renderErrorTable()}\n<!-- errors:end -->`), 'the error codes in docs/errors.md')
  t.ok(errors.includes(`<!-- startup-errors:begin -->\n${renderStartupErrorTable()}\n<!-- startup-errors:end -->`), 'the start-up error codes in docs/errors.md')
  t.ok(operations.includes(`<!-- metrics:begin -->\n${renderMetricsTable()}\n<!-- metrics:end -->`), 'the metrics table is the one src/admin/metrics.ts renders, in docs/operations.md')
  t.same([...GENERATED_FILES].sort(), ['config.example.env', 'docs/configuration.md', 'docs/errors.md', 'docs/operations.md'])
})

t.test('the README carries no generated table any more: it links to them', async (t) => {
  const readme = read('README.md')
  t.notMatch(readme, /<!-- (config|errors|metrics):begin -->/)
  for (const file of ['docs/configuration.md', 'docs/errors.md', 'docs/operations.md']) t.match(readme, `](${file}`, `the README links to ${file}`)
})

t.test('every metric in the table is in docs/operations.md, once, with its type', async (t) => {
  const { METRICS } = await import('../../src/admin/metrics.js')
  for (const m of METRICS) t.equal(operations.split(`| \`${m.name}\` | ${m.type} |`).length, 2, m.name)
})

t.test('config.example.env is what the schema renders (run `npm run docs`)', async (t) => {
  t.equal(exampleEnv, renderExampleEnv(), 'config.example.env has drifted from src/config/schema.ts: run `npm run docs`')
  t.same(parseEnv(exampleEnv), {}, 'every setting is commented out: copying it changes nothing')
})

t.test('every variable, every *_FILE and every error code is documented', async (t) => {
  for (const name of CONFIG_VARIABLES) {
    const doc = (ConfigSchema.properties as Record<string, { description?: string }>)[name]
    t.ok((doc?.description ?? '').length > 10, `${name} has a description in the schema`)
    t.match(configuration, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `${name} in the docs/configuration.md table`)
    t.match(exampleEnv, new RegExp(`^#${name}=`, 'm'), `${name} in config.example.env`)
  }
  for (const name of SECRET_VARIABLES) t.match(configuration, `| \`${name}_FILE\` |`)
  for (const [code, spec] of Object.entries(REQUEST_ERRORS)) {
    t.match(errors, `| ${spec.status} | \`${code}\` |`, `${code} in the error table`)
  }
  for (const code of Object.keys(STARTUP_ERRORS)) t.match(errors, `| \`${code}\` |`, `${code} in the start-up error table`)
  t.match(configuration, /\| `LISTEN_PORT` \| `8080` \|/, 'defaults come from the schema')
})

t.test('a drifted table is detected and the markers are required', async (t) => {
  const drifted = configuration.replace(/^\| `LISTEN_PORT` .*\n/m, '')
  t.not(drifted, configuration)
  t.not(renderDoc('docs/configuration.md', drifted), drifted, 'a missing row is put back')
  t.equal(renderDoc('docs/configuration.md', drifted), configuration)
  t.throws(() => replaceBetweenMarkers('no markers here', 'config', 'x', 'docs/configuration.md'), /docs\/configuration\.md lacks the markers/)
  t.throws(() => renderDoc('docs/errors.md', 'the markers were lost'), /docs\/errors\.md lacks the markers <!-- errors:begin -->/)
})
