// `node --import <this file> …`: writes the URL of every module the process
// resolves to the file named by RECORD_LOADS_FILE, one per line. Used to show
// what a started `serve` has loaded (test/serve-loads-only-what-it-runs.test.ts).
import { register } from 'node:module'

const file = process.env.RECORD_LOADS_FILE
if (file !== undefined) register('./record-loads-hooks.js', import.meta.url, { data: { file } })
