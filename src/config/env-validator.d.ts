// The types of env-validator.js, which gen-env-validator.ts generates at build
// time (the configuration schema compiled by ajv's standalone code generation).
import type { ErrorObject } from 'ajv'

export interface EnvValidator {
  /**
   * True when `data` satisfies the schema. Works in place, as env-schema did:
   * fills defaults, turns strings into integers and booleans, removes
   * unknown properties.
   */
  (data: Record<string, unknown>): boolean
  /** Every problem of the last call that returned false (ajv's error objects). */
  errors?: ErrorObject[] | null
}

export declare const validate: EnvValidator
export default validate
