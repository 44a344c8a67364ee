import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/api-error'
import { formErrorsOf, requireFilled } from './field-errors'

describe('API errors on a form', () => {
  it("puts each detail under the field its path names, keeping the API's message above the form", () => {
    const error = new ApiError('VALIDATION_FAILED', 'the body does not fit the schema', 422, [
      { path: '/slug', message: 'must match pattern' },
      { path: '/models/0', message: 'must NOT have fewer than 1 characters' },
      { path: '/models', message: 'must NOT have duplicate items' },
      { path: '/mock', message: 'is not a known field' },
    ])
    expect(formErrorsOf(error, ['slug', 'models'])).toEqual({
      message: 'the body does not fit the schema',
      fields: { slug: 'must match pattern', models: 'must NOT have fewer than 1 characters; must NOT have duplicate items' },
    })
  })

  it('says once what a detail repeats of the message, without its internal code', () => {
    const error = new ApiError('PLUGIN_INSTALL_FAILED', 'the plugin could not be installed: no plugin at /no/such', 422, [{ path: '/source', message: 'PLUGIN_NOT_FOUND: no plugin at /no/such' }])
    expect(formErrorsOf(error, ['source'])).toEqual({ message: 'the plugin could not be installed: no plugin at /no/such', fields: {} })
  })

  it('keeps a detail in plain words under its field, though the message says it too', () => {
    const error = new ApiError('OPENAPI_INVALID', 'the OpenAPI document cannot be used: it is Swagger 2.0', 422, [{ path: '/spec', message: 'it is Swagger 2.0' }])
    expect(formErrorsOf(error, ['spec']).fields).toEqual({ spec: 'it is Swagger 2.0' })
  })

  it('shows an error that is not the API’s by its message', () => {
    expect(formErrorsOf(new TypeError('failed to fetch'), ['slug'])).toEqual({ message: 'failed to fetch', fields: {} })
  })
})

describe('fields required before sending', () => {
  it('refuses blank (or only spaces) fields by name, shown under them with no message above the form', () => {
    const refusal = (() => {
      try {
        requireFilled({ model: ' ', input: '', output: '2' }, ['model', 'input', 'output'])
      } catch (error) {
        return error
      }
    })()
    expect(formErrorsOf(refusal, ['model', 'input', 'output'])).toEqual({ message: undefined, fields: { model: 'required', input: 'required' } })
  })

  it('lets filled fields through', () => {
    expect(() => requireFilled({ model: 'gpt-4o', input: '0' }, ['model', 'input'])).not.toThrow()
  })
})
