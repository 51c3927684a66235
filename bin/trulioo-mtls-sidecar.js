#!/usr/bin/env node
// Two commands skip loading the CLI: `healthcheck` runs every few seconds inside
// a container, and `--version` is what scripts and image labels ask for.
const command = process.argv[2]
if (process.argv.length === 3 && (command === '--version' || command === '-v')) {
  const { version } = await import('../dist/version.js')
  process.stdout.write(`${version()}\n`)
} else {
  const { main } = command === 'healthcheck'
    ? await import('../dist/cli/healthcheck-main.js')
    : await import('../dist/cli/main.js')
  await main(process.argv)
}
