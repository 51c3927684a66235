#!/usr/bin/env node
// Writes the README's configuration and error tables and config.example.env
// from the schema and the error registry (src/config/config-docs.ts, compiled
// by `npm run build`). `npm run docs` runs it; `--check` only reports drift.
import { fileURLToPath } from 'node:url'
import { expectedDocs, writeDocs } from '../dist/config/config-docs.js'
import { readFileSync } from 'node:fs'

const root = fileURLToPath(new URL('..', import.meta.url))
if (process.argv.includes('--check')) {
  const expected = expectedDocs(root)
  const stale = [['README.md', expected.readme], ['config.example.env', expected.exampleEnv]]
    .filter(([file, text]) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8') !== text)
    .map(([file]) => file)
  if (stale.length > 0) {
    process.stderr.write(`out of date: ${stale.join(', ')}; run npm run docs\n`)
    process.exit(1)
  }
} else {
  const changed = writeDocs(root)
  process.stdout.write(changed.length === 0 ? 'docs already up to date\n' : `wrote ${changed.join(', ')}\n`)
}
