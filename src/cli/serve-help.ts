import { ConfigSchema } from '../config/schema.js'
import { variableGroups } from '../config/variable-groups.js'
import { SERVE_EXIT_CODES } from './exit-codes.js'

/**
 * The text `serve --help` prints after the options: every variable by group,
 * with its default and its one-line description, from the schema (the one
 * source of the docs/configuration.md table and config.example.env too), then the exit codes.
 */
export function serveHelpText (width = 80): string {
  const properties = ConfigSchema.properties as Record<string, { description?: string, default?: unknown }>
  const lines: string[] = [
    '',
    'Settings come from the environment, over ./.env (or the --config-file file).',
    'A secret X may instead be read from the file named by X_FILE.',
    'Ports are settings too, not flags (--port is the demo\'s):',
    '  LISTEN_PORT=8081 ADMIN_PORT=9091 trulioo-mtls-sidecar serve'
  ]
  for (const group of variableGroups()) {
    lines.push('', `${group.title}:`)
    for (const name of group.variables) {
      const doc = properties[name] ?? {}
      lines.push(`  ${name}${doc.default === undefined ? '' : `=${String(doc.default)}`}`)
      lines.push(...wrap(doc.description ?? '', width - 6).map((line) => `      ${line}`))
    }
  }
  lines.push('', 'Exit codes:')
  for (const [code, meaning] of SERVE_EXIT_CODES) lines.push(`  ${String(code).padEnd(3)} ${meaning}`)
  return `${lines.join('\n')}\n`
}

function wrap (text: string, width: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') out.push(line)
  return out
}
