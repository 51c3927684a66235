// Module customization hooks (node:module register) for record-loads.ts.
import { appendFileSync } from 'node:fs'

let file = ''

export function initialize (data: { file: string }): void {
  file = data.file
}

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>

export async function resolve (specifier: string, context: unknown, next: Next): Promise<{ url: string }> {
  const resolved = await next(specifier, context)
  appendFileSync(file, `${resolved.url}\n`)
  return resolved
}
