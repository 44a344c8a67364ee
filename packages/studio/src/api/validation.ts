import { Ajv, type ErrorObject } from 'ajv'
import addFormats from 'ajv-formats'
import type { TSchema } from 'typebox'
import { StudioError, type ErrorDetail } from '../errors.js'

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, strict: false })
  addFormats.default(ajv)
  return ajv
}

/**
 * The validators of the admin API. Body values keep their JSON types; query
 * strings and path parameters are coerced ("10" → 10). One pair per process,
 * shared by the routes and by the writes made without HTTP (ObjectWriter,
 * object hooks' modifications), so both accept exactly the same bodies; ajv
 * caches a compiled schema by its object, so each compiles once.
 */
export const API_VALIDATORS = { body: makeAjv(false), other: makeAjv(true) }

/** A JSON pointer for each ajv error, prefixed by the part of the request (`query/limit`; body fields bare: `/models/0`). */
export function detailsOf(errors: ErrorObject[], part: string): ErrorDetail[] {
  return errors.slice(0, 20).map((error) => {
    let path = error.instancePath || '/'
    if (error.keyword === 'required') path = `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}`
    if (error.keyword === 'additionalProperties') path = `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`
    const message = error.keyword === 'additionalProperties' ? 'is not a known field' : (error.message ?? 'is not valid')
    return { path: part === 'body' ? path : `${part}${path === '/' ? '' : path}`, message }
  })
}

/** Checks a value against a route's body schema: the fields at fault, or undefined when it fits (defaults filled in, as the route does). */
export type BodyCheck = (value: unknown) => ErrorDetail[] | undefined

export function compileBodyCheck(schema: TSchema): BodyCheck {
  const validate = API_VALIDATORS.body.compile(schema)
  return (value) => (validate(value) ? undefined : detailsOf(validate.errors ?? [], 'body'))
}

/** VALIDATION_FAILED for a part of a request (`body`, `query`, `params`) that does not fit its schema. */
export function schemaError(part: string, details: ErrorDetail[]): StudioError {
  return new StudioError('VALIDATION_FAILED', `the ${part} does not fit the schema`, { details })
}
