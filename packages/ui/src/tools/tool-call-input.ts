import type { ErrorDetail, ToolCallBody, ToolOperationItem } from '@plugboard/studio/api-types'
import { ApiError } from '../api/api-error'

type Parameter = ToolOperationItem['parameters'][number]

/** `query:limit`: a parameter's key in the try form (a path and a query parameter may share a name). */
export const parameterKey = (p: Pick<Parameter, 'in' | 'name'>) => `${p.in}:${p.name}`

/** Whether the operation takes its body as JSON (as Studio sends it when the document names no type). */
export function takesJson(operation: Pick<ToolOperationItem, 'bodyContentType'>): boolean {
  return operation.bodyContentType === null || /^application\/(?:[\w.+-]+\+)?json\b/i.test(operation.bodyContentType)
}

/** A tool server's answer body as the try form shows it: text as it came, JSON indented. */
export function answerText(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2)
}

/**
 * The call's input from the try form: the filled-in parameters (by
 * `parameterKey`; empty ones left out) by where they go, and the body, parsed
 * when the operation takes JSON. A body that is not JSON is not sent: an
 * ApiError BODY_NOT_JSON with a `/body` detail, shown as the API's are.
 */
export function toolCallBody(operation: ToolOperationItem, values: Readonly<Record<string, string>>, body: string): ToolCallBody {
  const parameters: Required<NonNullable<ToolCallBody['parameters']>> = { path: {}, query: {}, header: {} }
  for (const p of operation.parameters) {
    const value = values[parameterKey(p)]
    if (value !== undefined && value !== '') parameters[p.in][p.name] = value
  }
  if (!operation.hasBody || body.trim() === '') return { parameters }
  if (!takesJson(operation)) return { parameters, body }
  try {
    return { parameters, body: JSON.parse(body) as unknown }
  } catch (error) {
    throw new ApiError('BODY_NOT_JSON', `the body is not JSON: ${(error as Error).message}`, 0, [{ path: '/body', message: 'is not JSON' }])
  }
}

/** `/parameters/query/limit` → `query:limit`, `/body` → `body`: the input of the try form an error detail is about. */
export function tryFieldOf(detail: ErrorDetail): string {
  const [, first = '', location, ...name] = detail.path.split('/')
  return first === 'parameters' && location ? `${location}:${name.join('/')}` : first
}
