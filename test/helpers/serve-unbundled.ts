// `node serve-unbundled.js serve …`: the CLI from dist/cli/ (tsc's output,
// one file per module) instead of the bundle, so that what a started serve
// loads can be seen module by module (the bundle holds many in one file).
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from './root.js'

const { main } = await import(pathToFileURL(join(ROOT, 'dist', 'cli', 'main.js')).href) as { main: (argv: string[]) => Promise<void> }
await main(process.argv)
