'use strict'
// The part of undici that the bundled CLI uses, for scripts/bundle.mjs.
//
// undici's own entry point loads everything it offers when it is required:
// fetch, WebSocket, EventSource, cookies, the cache stores, the mock agents.
// That is a third of the bundle's start-up work and a few MiB of heap that
// `serve` never uses, and its cookie module reads `globalThis.Headers`, which
// makes Node load its own, second copy of undici as well. The bundle resolves
// `undici` (ours and @fastify/reply-from's) to this file instead; the classes
// are undici's own, loaded from the same files its entry point loads them from.
//
// test/packaging/undici-slim-exports.test.ts fails if anything the bundle
// imports from undici is missing here.
const Dispatcher = require('undici/lib/dispatcher/dispatcher')
const api = require('undici/lib/api')
const { getGlobalDispatcher, setGlobalDispatcher } = require('undici/lib/global')

// what undici's entry point does too: dispatcher.request(), .stream(), .pipeline() ...
Object.assign(Dispatcher.prototype, api)

module.exports = {
  Dispatcher,
  Client: require('undici/lib/dispatcher/client'),
  Pool: require('undici/lib/dispatcher/pool'),
  BalancedPool: require('undici/lib/dispatcher/balanced-pool'),
  Agent: require('undici/lib/dispatcher/agent'),
  ProxyAgent: require('undici/lib/dispatcher/proxy-agent'),
  buildConnector: require('undici/lib/core/connect'),
  errors: require('undici/lib/core/errors'),
  // as undici's entry point has it (undici7-bridge.ts parses response heads with it)
  util: { parseHeaders: require('undici/lib/core/util').parseHeaders },
  getGlobalDispatcher,
  setGlobalDispatcher
}
