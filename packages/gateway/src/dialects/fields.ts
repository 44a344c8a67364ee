import { GatewayError } from '../errors.js'

/** Reading a client's JSON body field by field, each failure INVALID_REQUEST naming the field's path (`messages[2].content[0].type`). */
export type Json = Record<string, unknown>

export function invalid(param: string, message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `${param} ${message}`, 400, { param })
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function objectAt(value: unknown, param: string): Json {
  if (!isObject(value)) throw invalid(param, 'must be an object.')
  return value
}

export function arrayAt(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(param, 'must be an array.')
  return value
}

export function stringAt(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalid(param, 'must be a string.')
  return value
}

export function numberAt(value: unknown, param: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(param, 'must be a number.')
  return value
}

/** A canonical answer that is not one (a hook's rewrite, a broken upstream) cannot be translated: the LLM side's fault. */
export function positiveIntegerAt(value: unknown, param: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw invalid(param, 'must be a positive integer.')
  return value as number
}

export function notACompletion(what: string, cause?: unknown): GatewayError {
  return new GatewayError('UPSTREAM_INVALID_RESPONSE', `The LLM's answer is not a chat completion: ${what}.`, 502, { cause })
}

/** One SSE event named by its data's `type`, as both Anthropic's and the Responses streams send them. */
export function sseEvent(data: { type: string }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`
}

/**
 * A client's body as it goes to an LLM that speaks its API natively: only the
 * top-level `fields` the dialect knows (what it cannot govern, such as
 * server-side tools it has no canonical form for, never leaves the gateway),
 * `model` the routed one, then `overrides`.
 */
export function nativeBody(body: Json, fields: ReadonlySet<string>, model: string, overrides: Json = {}): Json {
  const kept: Json = {}
  for (const [key, value] of Object.entries(body)) if (fields.has(key)) kept[key] = value
  return { ...kept, model, ...overrides }
}
