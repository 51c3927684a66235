// `node --import <this file> …`: at exit, writes the path of every CommonJS
// module the process loaded (require.cache, which is the process's one cache)
// to the file named by RECORD_CJS_FILE, one per line.
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const file = process.env.RECORD_CJS_FILE
const cache = createRequire(import.meta.url).cache
if (file !== undefined) process.on('exit', () => { writeFileSync(file, Object.keys(cache).join('\n')) })
