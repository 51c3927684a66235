import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { ROOT } from '../helpers/root.js'

// Trulioo: a synchronous verification may take up to 120 s. The header
// timeout must outlast it; the body timeout stays shorter, on its own.
t.test('the defaults are 130 s for the headers and 60 s between body chunks, as the generated reference says', async (t) => {
  const config = loadConfig({ env: { TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' }, envFile: false })
  t.equal(config.UPSTREAM_TIMEOUT_MS, 130_000)
  t.equal(config.UPSTREAM_BODY_TIMEOUT_MS, 60_000)
  const readme = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8')
  const example = readFileSync(join(ROOT, 'config.example.env'), 'utf8')
  t.match(readme, /^\| `UPSTREAM_TIMEOUT_MS` \| `130000` \| .*2 minutes/m)
  t.match(readme, /^\| `UPSTREAM_BODY_TIMEOUT_MS` \| `60000` \|/m)
  t.match(example, /^#UPSTREAM_TIMEOUT_MS=130000$/m)
  t.match(example, /^#UPSTREAM_BODY_TIMEOUT_MS=60000$/m)
})
