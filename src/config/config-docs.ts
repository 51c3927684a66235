import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { METRICS } from '../admin/metrics.js'
import { REQUEST_ERRORS, STARTUP_ERRORS, type StartupErrorSpec } from '../errors.js'
import { CONFIG_VARIABLES, ConfigSchema } from './schema.js'

/**
 * The configuration reference, the two error tables and the metrics table,
 * rendered from the schema, the error registries and the metrics list:
 * docs/configuration.md, docs/errors.md and docs/operations.md (between
 * markers) and config.example.env are written by `npm run docs`, and
 * test/config/config-docs.test.ts fails when the committed files differ from
 * what these functions render.
 */

interface PropertyDoc { description?: string, default?: unknown }

function property (name: string): PropertyDoc {
  return (ConfigSchema.properties as Record<string, PropertyDoc>)[name] ?? {}
}

/** A Markdown table cell: pipes escaped, one line. */
function cell (text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')
}

export function renderConfigTable (): string {
  const rows = CONFIG_VARIABLES.map((name) => {
    const doc = property(name)
    const fallback = doc.default === undefined ? '—' : `\`${String(doc.default)}\``
    return `| \`${name}\` | ${fallback} | ${cell(doc.description ?? '')} |`
  })
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n')
}

export function renderErrorTable (): string {
  const rows = Object.entries(REQUEST_ERRORS).map(([code, spec]) =>
    `| ${spec.status} | \`${code}\` | ${cell(spec.summary)} | ${cell(spec.fix)} |`)
  return ['| status | code | when | how to fix |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

export function renderStartupErrorTable (): string {
  const rows = Object.entries(STARTUP_ERRORS).map(([code, spec]: [string, StartupErrorSpec]) =>
    `| \`${code}\` | ${spec.warning === true ? 'warning' : 'exit 78'} | ${cell(spec.summary)} | ${cell(spec.fix)} |`)
  return ['| code | outcome | when | how to fix |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

export function renderMetricsTable (): string {
  const rows = METRICS.map((m) => `| \`${m.name}\` | ${m.type} | ${m.labels.map((l) => `\`${l}\``).join(', ')} | ${cell(m.help)} |`)
  return ['| metric | type | labels | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

export function renderExampleEnv (): string {
  const lines = [
    '# trulioo-mtls-sidecar settings. Copy to .env (or set them in the environment) and',
    '# uncomment what you need; every line shows the default, or nothing when there is none.',
    '# Secrets are best given as files: set TLS_PASSPHRASE_FILE rather than TLS_PASSPHRASE.',
    '# Generated from src/config/schema.ts by `npm run docs`; do not edit by hand.'
  ]
  for (const name of CONFIG_VARIABLES) {
    const doc = property(name)
    lines.push('', `# ${doc.description ?? ''}`, `#${name}=${doc.default === undefined ? '' : String(doc.default)}`)
  }
  return lines.join('\n') + '\n'
}

/** `text` with what lies between `<!-- name:begin -->` and `<!-- name:end -->` replaced. */
export function replaceBetweenMarkers (text: string, name: string, content: string, file = 'the document'): string {
  const begin = `<!-- ${name}:begin -->`
  const end = `<!-- ${name}:end -->`
  const from = text.indexOf(begin)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${file} lacks the markers ${begin} … ${end}`)
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`
}

/** Which generated table lives in which file of docs/, between which markers. */
export const GENERATED_TABLES: ReadonlyArray<{ readonly file: string, readonly marker: string, readonly render: () => string }> = [
  { file: 'docs/configuration.md', marker: 'config', render: renderConfigTable },
  { file: 'docs/errors.md', marker: 'errors', render: renderErrorTable },
  { file: 'docs/errors.md', marker: 'startup-errors', render: renderStartupErrorTable },
  { file: 'docs/operations.md', marker: 'metrics', render: renderMetricsTable }
]

/** `text`, the content of `file`, with every table generated for that file put between its markers. */
export function renderDoc (file: string, text: string): string {
  return GENERATED_TABLES.filter((table) => table.file === file)
    .reduce((doc, table) => replaceBetweenMarkers(doc, table.marker, table.render(), file), text)
}

/** The generated files, relative to the root: the docs with tables, and config.example.env. */
export const GENERATED_FILES: readonly string[] = [...new Set(GENERATED_TABLES.map((table) => table.file)), 'config.example.env']

/** What each generated file in `root` should hold, by its path relative to `root`. */
export function expectedDocs (root: string): ReadonlyMap<string, string> {
  const expected = new Map<string, string>()
  for (const file of GENERATED_FILES) {
    expected.set(file, file === 'config.example.env' ? renderExampleEnv() : renderDoc(file, readFileSync(join(root, file), 'utf8')))
  }
  return expected
}

/** The generated files in `root` that differ from what they should hold. */
export function staleDocs (root: string): string[] {
  return [...expectedDocs(root)].filter(([file, text]) => readOrEmpty(join(root, file)) !== text).map(([file]) => file)
}

/** Writes every generated file; returns the names of those that changed. */
export function writeDocs (root: string): string[] {
  const changed: string[] = []
  for (const [file, text] of expectedDocs(root)) {
    const path = join(root, file)
    if (readOrEmpty(path) !== text) {
      writeFileSync(path, text)
      changed.push(file)
    }
  }
  return changed
}

function readOrEmpty (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
