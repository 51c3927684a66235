/**
 * Neither listener declares a route schema: the proxy forwards bodies as they
 * are, and the admin answers are fixed shapes. Given no compilers, Fastify
 * loads ajv and fast-json-stringify at start-up to compile schemas that never
 * come; these compilers refuse instead, so a schema added to a route later
 * fails loudly at start-up rather than being compiled by nothing.
 */
export const NO_ROUTE_SCHEMAS = {
  buildValidator (): never {
    throw new Error('route schemas are not supported here: validate in the handler (src/no-route-schemas.ts)')
  },
  buildSerializer (): never {
    throw new Error('response schemas are not supported here: the answer is JSON.stringify-ed (src/no-route-schemas.ts)')
  }
}
