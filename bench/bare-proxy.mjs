// The floor of the sidecar's own stack: Fastify + @fastify/http-proxy (undici)
// with the same TLS settings and Basic header, and no feature at all — no
// access line, no metrics, no guards. Built from the project's own
// dependencies; started by bench/compare.mjs with the sidecar's environment.
import { readFileSync } from 'node:fs'
import httpProxy from '@fastify/http-proxy'
import Fastify from 'fastify'
import { Agent } from 'undici'

const env = process.env
const secret = (name) => env[name] ?? readFileSync(env[`${name}_FILE`], 'utf8').replace(/\r?\n$/, '')
const basic = `Basic ${Buffer.from(`${secret('TRULIOO_USERNAME')}:${secret('TRULIOO_PASSWORD')}`).toString('base64')}`
const upstream = new URL(env.UPSTREAM_URL)

const app = Fastify({ logger: false })
app.removeAllContentTypeParsers()
await app.register(httpProxy, {
  upstream: upstream.origin,
  undici: new Agent({
    connections: 64,
    pipelining: 1,
    connect: {
      cert: readFileSync(env.TLS_CERT_FILE),
      key: readFileSync(env.TLS_KEY_FILE),
      ca: readFileSync(env.TLS_CA_FILE),
      rejectUnauthorized: true
    }
  }),
  replyOptions: {
    rewriteRequestHeaders: (_request, headers) => {
      const out = { ...headers, authorization: basic, host: upstream.host }
      delete out.expect
      return out
    }
  }
})
await app.listen({ host: '127.0.0.1', port: Number(env.LISTEN_PORT) })
process.on('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
