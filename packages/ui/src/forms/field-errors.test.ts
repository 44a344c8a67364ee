import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/api-error'
import { formErrorsOf } from './field-errors'

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

  it('shows an error that is not the API’s by its message', () => {
    expect(formErrorsOf(new TypeError('failed to fetch'), ['slug'])).toEqual({ message: 'failed to fetch', fields: {} })
  })
})
