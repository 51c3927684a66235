import { writeFileSync } from 'node:fs'
import t from 'tap'
import { loadConfig, rereadSecretFiles } from '../../src/config/load-config.js'
import { IdentityStore } from '../../src/identity/identity-store.js'
import { pki } from '../helpers/harness.js'

// Each reload built a new TLS context holding every trusted root parsed anew
// (with TLS_CA_FILE: the ~140 built-in roots plus the file's), about 1 MiB of
// native memory that V8 does not count: 200 reloads grew RSS by 170 MiB and
// more before a collection. Unchanged inputs now reuse their context.
const MIB = 1024 * 1024

t.test('200 reloads with TLS_CA_FILE set keep RSS within a few MiB', async (t) => {
  const p = await pki()
  const config = loadConfig({
    env: { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile, TLS_CA_FILE: p.caFile, UPSTREAM_URL: 'https://127.0.0.1:9' },
    envFile: false
  })
  const store = new IdentityStore(config, { reloadConfig: () => rereadSecretFiles(config) })
  t.teardown(() => store.close())
  // warm up: the allocator's first arenas, the JIT, the lazily built root store
  for (let i = 0; i < 20; i++) store.reload()
  const before = process.memoryUsage().rss
  for (let i = 0; i < 200; i++) {
    const outcome = store.reload()
    if (!outcome.ok) t.fail(`reload ${i} failed: ${outcome.error ?? ''}`)
  }
  const grown = (process.memoryUsage().rss - before) / MIB
  t.ok(grown < 16, `RSS grew by ${grown.toFixed(1)} MiB over 200 reloads`)
  t.equal(store.lastReload?.ok, true, 'every reload still works')
})

t.test('a changed CA file still builds a new context', async (t) => {
  const p = await pki()
  const other = await p.issueClient({ commonName: 'other-ca-holder.test.example' })
  const caFile = p.write('changing-ca.pem', p.ca.certPem, 0o644)
  const config = loadConfig({
    env: { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile, TLS_CA_FILE: caFile, UPSTREAM_URL: 'https://127.0.0.1:9' },
    envFile: false
  })
  const store = new IdentityStore(config, { reloadConfig: () => rereadSecretFiles(config) })
  t.teardown(() => store.close())
  const first = store.identity.secureContext
  store.reload()
  t.equal(store.identity.secureContext, first, 'unchanged inputs: the same context')
  writeFileSync(caFile, `${p.ca.certPem}\n${other.certPem}`)
  store.reload()
  t.not(store.identity.secureContext, first, 'a changed CA bundle: a new context')
})
