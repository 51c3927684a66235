#!/usr/bin/env -S node --
import { setFlagsFromString } from 'node:v8'

// First, before anything is loaded: SIGUSR1 must not open Node's inspector
// (127.0.0.1:9229), from which anyone allowed to signal this process could
// read the key and passphrase out of memory. Node >= 22.14 has
// --disable-sigusr1 (the image passes it); here, on any version, a listener
// of our own takes the signal instead of Node's inspector. See docs/operations.md.
process.on('SIGUSR1', () => {})

// undici parses HTTP with llhttp built to WebAssembly. V8 compiles it at once
// with its baseline compiler and later, once the parser is hot, again with
// TurboFan in the background. With V8's default budget that second compile
// comes with the start-up check's few requests: ~35 MiB of memory for a moment
// and CPU while the sidecar is still starting. A larger budget lets real load
// decide; under load the parser is hot within the first second either way.
setFlagsFromString('--wasm-tiering-budget=100000000')

// Two commands skip loading the CLI: `healthcheck` runs every few seconds inside
// a container, and `--version` is what scripts and image labels ask for.
const command = process.argv[2]
if (process.argv.length === 3 && (command === '--version' || command === '-v')) {
  const { version } = await import('../dist/version.js')
  process.stdout.write(`${version()}\n`)
} else {
  // the CLI as one bundle (scripts/bundle.mjs): a third faster to start than its modules
  const { main } = command === 'healthcheck'
    ? await import('../dist/cli/healthcheck-main.js')
    : await import('../dist/bundle/main.js')
  await main(process.argv)
}
