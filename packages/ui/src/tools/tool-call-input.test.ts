import type { ToolOperationItem } from '@plugboard/studio/api-types'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/api-error'
import { formErrorsOf } from '../forms/field-errors'
import { answerText, toolCallBody, tryFieldOf } from './tool-call-input'

const operation = (patch: Partial<ToolOperationItem> = {}): ToolOperationItem => ({
  id: 'updatePet',
  method: 'PUT',
  path: '/pets/{id}',
  summary: null,
  parameters: [
    { name: 'id', in: 'path', required: true, description: null, schema: { type: 'integer' } },
    { name: 'id', in: 'query', required: false, description: null, schema: null },
    { name: 'X-Trace', in: 'header', required: false, description: null, schema: null },
  ],
  hasBody: true,
  bodyRequired: false,
  bodyContentType: 'application/json',
  ...patch,
})

describe("the try form's call of a tool operation", () => {
  it('sends each filled-in parameter where it goes, leaves empty ones out, and parses a JSON body', () => {
    expect(toolCallBody(operation(), { 'path:id': '7', 'query:id': '', 'header:X-Trace': 'abc' }, '{"name": "Rex"}')).toEqual({
      parameters: { path: { id: '7' }, query: {}, header: { 'X-Trace': 'abc' } },
      body: { name: 'Rex' },
    })
  })

  it('sends no body when none is typed, and a non-JSON body as its text', () => {
    expect(toolCallBody(operation(), {}, '  ')).toEqual({ parameters: { path: {}, query: {}, header: {} } })
    expect(toolCallBody(operation({ bodyContentType: 'text/csv' }), {}, 'a,b\n1,2')).toMatchObject({ body: 'a,b\n1,2' })
    expect(toolCallBody(operation({ bodyContentType: 'application/problem+json' }), {}, '[1]')).toMatchObject({ body: [1] })
  })

  it('refuses a body that is not JSON with a /body detail, as the API would', () => {
    let thrown: unknown
    try {
      toolCallBody(operation(), {}, '{name: Rex}')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ApiError)
    expect(formErrorsOf(thrown, ['body'], tryFieldOf).fields).toEqual({ body: 'is not JSON' })
  })

  it("puts the API's details under the parameter they name, a path and a query parameter of one name apart", () => {
    const error = new ApiError('VALIDATION_FAILED', 'the input does not fit operation updatePet', 422, [
      { path: '/parameters/path/id', message: 'is required' },
      { path: '/parameters/query/a/b', message: 'is not a query parameter of updatePet' },
      { path: '/body', message: 'updatePet takes no body' },
    ])
    expect(formErrorsOf(error, ['path:id', 'query:a/b', 'body'], tryFieldOf)).toEqual({
      message: 'the input does not fit operation updatePet',
      fields: { 'path:id': 'is required', 'query:a/b': 'is not a query parameter of updatePet', body: 'updatePet takes no body' },
    })
  })

  it('shows a text answer as it came and a JSON one indented', () => {
    expect(answerText('<b>not html</b>')).toBe('<b>not html</b>')
    expect(answerText({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}')
  })
})
