import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import t from 'tap'
import { ROOT } from '../helpers/root.js'

// The README is a short entry and docs/ holds the rest by topic, so the way
// through is links. Every relative link in them must point at a file that
// exists, and at a heading that exists when it names one; every repository
// path written in backticks (src/…, test/…, scripts/…) must exist too, so a
// moved file cannot leave a stale path behind.

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'deploy/kubernetes/README.md']

/** The text outside fenced code blocks. */
function prose (markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '')
}

/** GitHub's anchors for the headings of a Markdown file (duplicates numbered). */
function anchorsOf (markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const slug = heading!.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

function linksOf (markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!)
}

t.test('the anchors are GitHub\'s', async (t) => {
  t.same([...anchorsOf('# Over a UNIX socket\n## Probes and endpoints (admin listener, `ADMIN_HOST:ADMIN_PORT`)\n## x\n## x\n```\n# not a heading\n```\n')],
    ['over-a-unix-socket', 'probes-and-endpoints-admin-listener-admin_hostadmin_port', 'x', 'x-1'])
})

for (const file of DOCS) {
  t.test(`every relative link in ${file} resolves`, async (t) => {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const links = linksOf(text).filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link))
    t.ok(links.length > 0 || file.startsWith('deploy/'), 'it links somewhere')
    for (const link of links) {
      const [path, anchor] = link.split('#', 2) as [string, string | undefined]
      const target = path === '' ? join(ROOT, file) : join(ROOT, dirname(file), decodeURIComponent(path))
      const shown = relative(ROOT, target)
      if (!t.ok(shown !== '' && !shown.startsWith('..') && existsSync(target), `${link}: ${shown} exists in the repository`)) continue
      if (anchor !== undefined && target.endsWith('.md')) {
        t.ok(anchorsOf(readFileSync(target, 'utf8')).has(anchor), `${link}: ${shown} has a heading #${anchor}`)
      }
    }
  })

  t.test(`every repository path in backticks in ${file} exists`, async (t) => {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const paths = [...text.matchAll(/`((?:src|test|scripts|bench|deploy|examples|bin|docs|\.ci)\/[^`\s]*)`/g)]
      .map((m) => m[1]!.replace(/[.,;:]+$/, ''))
      // patterns and placeholders (test/proxy/{admit,…}, <name>) are not paths
      .filter((p) => !/[{}*<>…]/.test(p))
    for (const path of new Set(paths)) {
      const base = file.startsWith('deploy/kubernetes/') && !existsSync(join(ROOT, path)) ? join(ROOT, dirname(file), path) : join(ROOT, path)
      t.ok(existsSync(base), `${path} exists`)
    }
  })
}
