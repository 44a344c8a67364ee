import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { TSchema } from 'typebox'
import { StudioError, type ErrorDetail } from '../errors.js'

/**
 * A schema option: what a value that fails the schema's `pattern`, `format`
 * or `anyOf` is told, in words (ajv would quote the regular expression, or say
 * "must match a schema in anyOf" after each branch's own error). Its other
 * errors (lengths, types) read well as ajv says them.
 */
export interface ReadableSchema {
  errorMessage?: string
}

function makeAjv(coerce: boolean): Ajv {
  // verbose: each error carries its schema, where detailsOf reads `errorMessage` and the allowed values.
  const ajv = new Ajv({ allErrors: true, verbose: true, coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, strict: false })
  addFormats.default(ajv)
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' })
  return ajv
}

const NUL_MESSAGE = 'must not contain the NUL character'

/**
 * The strings (and field names) of `value` holding U+0000, as ajv errors at
 * their JSON pointers: PostgreSQL text and jsonb cannot hold it, so it is
 * refused at its field instead of failing in the database. Walked without
 * recursion: a body may nest deeper than the stack.
 */
function nulErrors(value: unknown): ErrorObject[] {
  const errors: ErrorObject[] = []
  const pending: Array<{ value: unknown; pointer: string }> = [{ value, pointer: '' }]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const at = next.pointer
    if (typeof next.value === 'string') {
      if (next.value.includes('\0')) errors.push({ keyword: 'nul', instancePath: at, schemaPath: '', params: {}, message: NUL_MESSAGE })
    } else if (typeof next.value === 'object' && next.value !== null) {
      for (const [key, item] of Object.entries(next.value)) {
        if (key.includes('\0')) errors.push({ keyword: 'nul', instancePath: at, schemaPath: '', params: {}, message: 'must not have a field name with the NUL character' })
        else pending.push({ value: item, pointer: `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}` })
      }
    }
  }
  return errors
}

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null | undefined }

/** `validate`, and no NUL character anywhere in the value. */
function refusingNul(validate: ValidateFunction): Validator {
  const check: Validator = (data) => {
    const valid = validate(data)
    const nul = nulErrors(data)
    check.errors = nul.length === 0 ? validate.errors : [...(validate.errors ?? []), ...nul]
    return valid && nul.length === 0
  }
  return check
}

const ajvs = { body: makeAjv(false), other: makeAjv(true) }

/**
 * The validators of the admin API. Body values keep their JSON types; query
 * strings and path parameters are coerced ("10" → 10). No string may hold
 * NUL. One pair per process, shared by the routes and by the writes made
 * without HTTP (ObjectWriter, object hooks' modifications), so both accept
 * exactly the same bodies; ajv caches a compiled schema by its object, so
 * each compiles once.
 */
export const API_VALIDATORS = {
  body: (schema: TSchema | object): Validator => refusingNul(ajvs.body.compile(schema)),
  other: (schema: TSchema | object): Validator => refusingNul(ajvs.other.compile(schema)),
}

/** `a`, `b` and `c` as a list a user reads: `a, b, c`. */
const listed = (values: unknown[]) => values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))).join(', ')

/** The values an `anyOf` of constants allows (a union of literals), or undefined for any other anyOf. */
function constantsOf(branches: unknown): unknown[] | undefined {
  if (!Array.isArray(branches) || !branches.every((branch) => typeof branch === 'object' && branch !== null && 'const' in branch)) return undefined
  return branches.map((branch: { const: unknown }) => branch.const)
}

/** What an error says: in words where ajv would show a regular expression or leave the allowed values out. */
function messageOf(error: ErrorObject): string {
  const readable = (error.parentSchema as ReadableSchema | undefined)?.errorMessage
  if (readable && (error.keyword === 'pattern' || error.keyword === 'format' || error.keyword === 'anyOf')) return readable
  if (error.keyword === 'enum') return `must be one of: ${listed((error.params as { allowedValues: unknown[] }).allowedValues)}`
  const constants = error.keyword === 'anyOf' ? constantsOf(error.schema) : undefined
  if (constants) return `must be one of: ${listed(constants)}`
  if (error.keyword === 'additionalProperties') return 'is not a known field'
  return error.message ?? 'is not valid'
}

/** An anyOf said in one message (a union of literals, or one with an `errorMessage`): its branches' errors are not told. */
const summarizedUnion = (error: ErrorObject) => error.keyword === 'anyOf' && ((error.parentSchema as ReadableSchema | undefined)?.errorMessage !== undefined || constantsOf(error.schema) !== undefined)

/**
 * A JSON pointer and message for each ajv error, prefixed by the part of the
 * request (`query/limit`; body fields bare: `/models/0`); the same message at
 * the same field once, and a union of literals one "must be one of" instead
 * of a "must be equal to constant" per literal.
 */
export function detailsOf(errors: ErrorObject[], part: string): ErrorDetail[] {
  const unions = errors.filter(summarizedUnion).map((error) => ({ schemaPath: `${error.schemaPath}/`, instancePath: error.instancePath }))
  const details = new Map<string, ErrorDetail>()
  for (const error of errors) {
    if (unions.some((union) => error.schemaPath.startsWith(union.schemaPath) && error.instancePath.startsWith(union.instancePath))) continue
    let path = error.instancePath || '/'
    if (error.keyword === 'required') path = `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}`
    if (error.keyword === 'additionalProperties') path = `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`
    const detail = { path: part === 'body' ? path : `${part}${path === '/' ? '' : path}`, message: messageOf(error) }
    details.set(JSON.stringify(detail), detail)
    if (details.size === 20) break
  }
  return [...details.values()]
}

/** Checks a value against a route's body schema: the fields at fault, or undefined when it fits (defaults filled in, as the route does). */
export type BodyCheck = (value: unknown) => ErrorDetail[] | undefined

export function compileBodyCheck(schema: TSchema): BodyCheck {
  const validate = API_VALIDATORS.body(schema)
  return (value) => (validate(value) ? undefined : detailsOf(validate.errors ?? [], 'body'))
}

/** VALIDATION_FAILED for a part of a request (`body`, `query`, `params`) that does not fit its schema. */
export function schemaError(part: string, details: ErrorDetail[]): StudioError {
  return new StudioError('VALIDATION_FAILED', `the ${part} does not fit the schema`, { details })
}
