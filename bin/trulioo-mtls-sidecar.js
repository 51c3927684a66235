#!/usr/bin/env node
// First, before anything is loaded: SIGUSR1 must not open Node's inspector
// (127.0.0.1:9229), from which anyone allowed to signal this process could
// read the key and passphrase out of memory. Node >= 22.14 has
// --disable-sigusr1 (the image passes it); here, on any version, a listener
// of our own takes the signal instead of Node's inspector. See the README.
process.on('SIGUSR1', () => {})

// `healthcheck` runs every few seconds inside a container: it skips loading the rest of the CLI.
const { main } = process.argv[2] === 'healthcheck'
  ? await import('../dist/cli/healthcheck-main.js')
  : await import('../dist/cli/main.js')

await main(process.argv)
