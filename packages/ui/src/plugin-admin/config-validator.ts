import { Validator, type OutputUnit, type Schema, type SchemaDraft } from '@cfworker/json-schema'
import type { RJSFSchema, RJSFValidationError, ValidationData, ValidatorType } from '@rjsf/utils'
import { errorSchemaOf, pointerSegments, type ConfigProblem } from './config-errors'

/** Keywords whose failure only says that a nested keyword failed: the nested one is the error shown. */
const CONTAINERS = new Set(['properties', 'patternProperties', 'items', 'prefixItems', 'additionalItems', 'allOf', '$ref', '$dynamicRef', 'dependentSchemas', 'if', 'then', 'else', 'unevaluatedProperties', 'unevaluatedItems'])

/** Studio checks configs with ajv's default, draft-07; a schema may name a later draft. */
function draftOf(schema: RJSFSchema): SchemaDraft {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : ''
  if (declared.includes('2020-12')) return '2020-12'
  if (declared.includes('2019-09')) return '2019-09'
  return '7'
}

const validators = new WeakMap<object, Validator>()

/** A sub-schema rjsf asks about is checked with the root's definitions, so its `$ref`s resolve. */
function validatorOf(schema: RJSFSchema, rootSchema: RJSFSchema = schema): Validator {
  let validator = validators.get(schema)
  if (!validator) {
    const withDefinitions = schema === rootSchema ? schema : { ...schema, definitions: rootSchema.definitions, $defs: rootSchema.$defs }
    validator = new Validator(withDefinitions as Schema, draftOf(rootSchema), false)
    validators.set(schema, validator)
  }
  return validator
}

/** Where an error goes in the form, and what it says: a missing property is reported at that property. */
function placed(unit: OutputUnit): ConfigProblem {
  const path = pointerSegments(decodeURI(unit.instanceLocation.replace(/^#/, '')))
  // @cfworker/json-schema names the missing property only in its message: `Instance does not have required property "name".`
  const missing = unit.keyword === 'required' ? /"(.*)"\.?$/.exec(unit.error)?.[1] : undefined
  if (missing !== undefined) return { path: [...path, missing], message: 'is required' }
  // @cfworker/json-schema 4.1 says "0 is less than 0." for draft-6+ `exclusiveMinimum: 0` (its exclusiveMaximum says "or equal to").
  const message = unit.keyword === 'exclusiveMinimum' && !unit.error.includes('or equal') ? unit.error.replace(' is less than ', ' is less than or equal to ') : unit.error
  return { path, message }
}

/**
 * rjsf's validator on @cfworker/json-schema, which interprets the schema
 * instead of compiling it to code: ajv's `new Function` is refused by the
 * dashboard's CSP (no 'unsafe-eval'). It gives the form inline errors as the
 * admin types; Studio checks the config again on save and stays the authority.
 */
export const configValidator: ValidatorType<unknown, RJSFSchema> = {
  validateFormData(formData, schema): ValidationData<unknown> {
    const units = validatorOf(schema).validate(formData ?? {}).errors.filter((unit) => !CONTAINERS.has(unit.keyword))
    const problems = units.map(placed)
    const errors = problems.map(({ path, message }, index): RJSFValidationError => {
      const property = path.map((segment) => `.${segment}`).join('')
      return { name: units[index]!.keyword, message, property, schemaPath: units[index]!.keywordLocation, stack: `${property || 'config'} ${message}` }
    })
    return { errors, errorSchema: errorSchemaOf(problems) }
  },
  isValid(schema, formData, rootSchema) {
    try {
      return validatorOf(schema, rootSchema).validate(formData).valid
    } catch {
      // rjsf's contract: a schema that cannot be checked is not a match.
      return false
    }
  },
  rawValidation<Result>(schema: RJSFSchema, formData?: unknown) {
    try {
      return { errors: validatorOf(schema).validate(formData).errors as Result[] }
    } catch (error) {
      return { validationError: error as Error }
    }
  },
}
