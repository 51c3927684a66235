import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config/schema.js'
import { parseRouteList, type RequiredRoute, routeMatches } from './required-routes.js'
import { TransactionIdScanner } from './transaction-ids.js'

/**
 * BILLABLE_ROUTES: the calls that run a verification or a business search,
 * and so are billed (`METHOD /path-prefix` entries, matched as
 * IDEMPOTENCY_REQUIRED_ROUTES are: the method, and the path as sent starting
 * with the prefix regardless of case). A billable call's record is marked,
 * and its answer is read for Trulioo's transaction ids as it passes.
 */
export class BillableRoutes {
  readonly routes: readonly RequiredRoute[]

  constructor (config: Pick<Readonly<Config>, 'BILLABLE_ROUTES'>) {
    // checked at start-up (load-config.ts): a bad entry never gets here
    this.routes = parseRouteList('BILLABLE_ROUTES', config.BILLABLE_ROUTES)
  }

  matches (method: string, target: string): boolean {
    return routeMatches(this.routes, method, target)
  }

  /**
   * A preHandler hook, before the journal's (a replayed answer is read for the
   * ids too): marks a billable request and gives its exchange the scanner that
   * its answer's chunks are fed to (../proxy/metering.ts, onData). Any other
   * request is left as it is: nothing is made for it.
   */
  readonly stage = (request: FastifyRequest, _reply: FastifyReply, done: () => void): void => {
    if (this.matches(request.raw.method ?? '', request.url)) {
      const record = request.record
      record.billable = true
      request.exchange.transactionIds = new TransactionIdScanner(record)
    }
    done()
  }
}
