import type { FastifyReply, FastifyRequest } from 'fastify'
import { SidecarRequestError } from '../errors.js'
import type { Admission } from './admit.js'
import { answerError } from './answer-errors.js'
import { mayHaveUnreadBody } from './connection-state.js'
import type { RequestLifecycle } from './request-lifecycle.js'

/**
 * Stage 1 as Fastify's onRequest hook: the request's record begins
 * (request-lifecycle.ts), admission decides (admit.ts), and a request
 * pipelined behind a body goes on only once that body has been judged.
 */
export function admitStage (admission: Admission, lifecycle: RequestLifecycle): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (request, reply, done) => {
    const record = lifecycle.begin(request, reply)
    if (record === undefined) return
    const refused = admission.refusal(request.raw, request.url)
    if (refused !== undefined) {
      answerError(reply, record, refused)
      return
    }
    const exchange = request.exchange
    const connection = exchange.connection
    connection.afterBodies(() => {
      // answered meanwhile (its own body broke), or an earlier answer closes the
      // connection: never forwarded, its line written when the connection closes
      if (reply.sent || !connection.processes(exchange.seq)) return
      if (mayHaveUnreadBody(request.raw)) {
        connection.holdBody(exchange)
        // read whole (read-body.ts) or sent upstream whole (metering.ts): not merely
        // read from the socket, since the verdict on the last bytes comes after
        exchange.bodyTaken = () => { connection.bodyDone(exchange) }
      }
      done()
    })
  }
}

/** Fastify's frameworkErrors: a target the router cannot parse (`GET ftp://x/y`, a path too long), answered before any hook runs. */
export function unroutableTarget (lifecycle: RequestLifecycle): (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const record = lifecycle.begin(request, reply)
    if (record === undefined) return
    answerError(reply, record, new SidecarRequestError('BAD_REQUEST_TARGET', `the request target cannot be forwarded (${error.code ?? error.name})`))
  }
}
