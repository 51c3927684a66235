#!/usr/bin/env node
// Writes the generated tables of docs/configuration.md (variables), docs/errors.md
// (error codes) and docs/operations.md (metrics), and config.example.env, from the
// schema, the error registry and the metrics list (src/config/config-docs.ts,
// compiled by `npm run build`). `npm run docs` runs it; `--check` only reports drift.
import { fileURLToPath } from 'node:url'
import { staleDocs, writeDocs } from '../dist/config/config-docs.js'

const root = fileURLToPath(new URL('..', import.meta.url))
if (process.argv.includes('--check')) {
  const stale = staleDocs(root)
  if (stale.length > 0) {
    process.stderr.write(`out of date: ${stale.join(', ')}; run npm run docs\n`)
    process.exit(1)
  }
} else {
  const changed = writeDocs(root)
  process.stdout.write(changed.length === 0 ? 'docs already up to date\n' : `wrote ${changed.join(', ')}\n`)
}
