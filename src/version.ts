import { existsSync, readFileSync } from 'node:fs'

let cached: string | undefined

/** The package version, read once from package.json (from dist/, src/ or a compiled test tree). */
export function version (): string {
  if (cached === undefined) {
    let url = new URL('../package.json', import.meta.url)
    for (let up = 0; up < 3 && !existsSync(url); up++) url = new URL('../package.json', url)
    cached = (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
  }
  return cached
}
