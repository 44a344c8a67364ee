import type { RJSFSchema } from '@rjsf/utils'
import { describe, expect, it } from 'vitest'
import { configValidator } from './config-validator'

const schema: RJSFSchema = {
  type: 'object',
  required: ['requestsPerMinute'],
  properties: {
    requestsPerMinute: { type: 'number', exclusiveMinimum: 0 },
    greeting: { type: 'string', minLength: 3 },
    'a/b': { type: 'object', properties: { depth: { type: 'integer' } } },
  },
}

describe('the config form validator (no generated code)', () => {
  it("puts each problem under the field it is about, a missing property's under that property", () => {
    const { errorSchema, errors } = configValidator.validateFormData({ greeting: 'hi', 'a/b': { depth: 1.5 } }, schema)
    expect(errorSchema).toEqual({
      requestsPerMinute: { __errors: ['is required'] },
      greeting: { __errors: [expect.stringContaining('too short')] },
      'a/b': { depth: { __errors: [expect.stringContaining('integer')] } },
    })
    expect(errors.map((error) => error.property)).toEqual(['.requestsPerMinute', '.greeting', '.a/b.depth'])
  })

  it('says a value at an exclusive minimum is not above it', () => {
    expect(configValidator.validateFormData({ requestsPerMinute: 0 }, schema).errorSchema).toEqual({ requestsPerMinute: { __errors: ['0 is less than or equal to 0.'] } })
  })

  it('finds nothing wrong with a config that fits', () => {
    expect(configValidator.validateFormData({ requestsPerMinute: 5, greeting: 'hello' }, schema)).toEqual({ errors: [], errorSchema: {} })
  })

  it("checks a sub-schema with the root's definitions, as rjsf asks when it picks a oneOf option", () => {
    const root: RJSFSchema = { definitions: { port: { type: 'integer', maximum: 65535 } }, oneOf: [{ $ref: '#/definitions/port' }, { type: 'string' }] }
    const option = root.oneOf![0] as RJSFSchema
    expect(configValidator.isValid(option, 8080, root)).toBe(true)
    expect(configValidator.isValid(option, 70000, root)).toBe(false)
  })

  it('runs without eval or new Function, which the dashboard CSP refuses', () => {
    const original = globalThis.Function
    const refuse = () => {
      throw new EvalError('refused by the test, as by a CSP without unsafe-eval')
    }
    globalThis.Function = new Proxy(original, { construct: refuse, apply: refuse })
    const originalEval = globalThis.eval
    globalThis.eval = refuse
    try {
      const fresh: RJSFSchema = { type: 'object', properties: { n: { type: 'number', maximum: 3 } } }
      expect(configValidator.validateFormData({ n: 4 }, fresh).errorSchema).toEqual({ n: { __errors: [expect.any(String)] } })
    } finally {
      globalThis.Function = original
      globalThis.eval = originalEval
    }
  })
})
