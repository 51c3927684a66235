#!/usr/bin/env node
// `healthcheck` runs every few seconds inside a container: it skips loading the rest of the CLI.
const { main } = process.argv[2] === 'healthcheck'
  ? await import('../dist/cli/healthcheck-main.js')
  : await import('../dist/cli/main.js')

await main(process.argv)
