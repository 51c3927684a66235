import { paint } from '../cli/cli-io.js'
import type { CheckReport, StepStatus } from './check-types.js'

const MARK: Record<StepStatus, { symbol: string, colour: number }> = {
  pass: { symbol: '✔', colour: 32 },
  fail: { symbol: '✘', colour: 31 },
  skip: { symbol: '–', colour: 33 }
}

/** One line per step, ✔ / ✘ / – and the reason; advice under a failure. */
export function renderText (report: CheckReport, colour: boolean): string {
  const lines: string[] = []
  if (report.upstream !== undefined) lines.push(`Checking the way to ${report.upstream}`)
  for (const step of report.steps) {
    const mark = MARK[step.status]
    lines.push(`${paint(colour, mark.colour, mark.symbol)} ${paint(colour, 1, step.title)}: ${step.detail}`)
    if (step.advice !== undefined) lines.push(`  → ${step.advice}`)
  }
  if (report.notRun.length > 0) lines.push(paint(colour, 2, `  not run: ${report.notRun.join(', ')}`))
  lines.push(report.ok
    ? paint(colour, 32, 'All checks passed: `trulioo-mtls-sidecar serve` is ready to go.')
    : paint(colour, 31, 'Check failed: fix the step marked ✘ and run check again.'))
  return lines.join('\n') + '\n'
}

export function renderJson (report: CheckReport): string {
  return JSON.stringify(report, null, 2) + '\n'
}
