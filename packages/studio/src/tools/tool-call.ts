import { request } from 'undici'
import type { MasterKey } from '../accounts/master-key.js'
import type { Row, ToolAuth } from '../db/schema.js'
import { StudioError, type ErrorDetail } from '../errors.js'
import { isJsonType, listOperations, type ToolOperation } from './openapi-operations.js'

/** How long a call may take unless the input says less. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000
/** The largest answer a tool call reads; a larger one fails the call rather than fill memory. */
const MAX_TOOL_RESPONSE_BYTES = 1024 * 1024

/** A tool ready to call: its operations read, its credential decrypted. Never presented. */
export interface ExecutableTool {
  slug: string
  baseUrl: string
  operations: ToolOperation[]
  auth: ToolAuth
  credential: string | null
}

/** A parameter's value; numbers and booleans are sent as their text. */
export type ParameterValue = string | number | boolean

/** What a caller gives an operation: parameters by where they go, and the body. */
export interface ToolCallInput {
  parameters?: {
    path?: Record<string, ParameterValue>
    query?: Record<string, ParameterValue | ParameterValue[]>
    header?: Record<string, ParameterValue>
  }
  body?: unknown
  /** At most DEFAULT_TOOL_TIMEOUT_MS. */
  timeoutMs?: number
}

/** The tool server's answer, as the API passes it on. */
export interface ToolCallResult {
  /** The tool server's status, whatever it is: a 404 from the tool is a result, not a failure of the call. */
  status: number
  headers: { 'content-type': string | null }
  /** Parsed when the answer is JSON (and parses), else its text. */
  body: unknown
}

/** Headers HTTP itself sets: neither a parameter nor a credential goes in one. */
const TRANSPORT_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-authorization'])
/** Headers a parameter may not set: the transport's, and the ones the call's credential and body own. */
const RESERVED_HEADERS = new Set([...TRANSPORT_HEADERS, 'authorization', 'content-type', 'cookie'])

/** Whether a credential may be sent in header `name`. */
export function isCredentialHeader(name: string): boolean {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) && !TRANSPORT_HEADERS.has(name.toLowerCase())
}

/** A stored tool, ready for `executeOperation`: MASTER_KEY_INVALID when its credential does not decrypt. */
export function toolFromRow(row: Row<'tools'>, masterKey: MasterKey): ExecutableTool {
  return {
    slug: row.slug,
    baseUrl: row.base_url,
    operations: listOperations(row.spec),
    auth: row.auth,
    credential: row.credential_encrypted === null ? null : masterKey.decrypt(row.credential_encrypted),
  }
}

/**
 * Calls one operation of a tool: checks the input against the operation's
 * parameters (VALIDATION_FAILED listing each one at fault), builds the URL
 * under the tool's base URL (path parameters percent-encoded and never `.` or
 * `..`, so no value leaves the base path), sends the credential as the tool's
 * auth says, and reads the answer, up to MAX_TOOL_RESPONSE_BYTES. Unreachable,
 * timed out, cancelled by `signal` or too large: TOOL_CALL_FAILED. Unknown
 * operation: TOOL_OPERATION_NOT_FOUND. The call is abandoned (connection
 * closed) whenever it fails.
 * @example await executeOperation(tool, 'getPet', { parameters: { path: { id: 7 } } }, request.signal)
 */
export async function executeOperation(tool: ExecutableTool, operationId: string, input: ToolCallInput, signal?: AbortSignal): Promise<ToolCallResult> {
  const operation = tool.operations.find((o) => o.id === operationId)
  if (!operation) throw new StudioError('TOOL_OPERATION_NOT_FOUND', `tool "${tool.slug}" has no operation "${operationId.slice(0, 200)}": GET its operations for the ids`)
  const { url, headers, body } = buildRequest(tool, operation, input)
  const timeoutMs = Math.min(input.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS, DEFAULT_TOOL_TIMEOUT_MS)
  const timeout = AbortSignal.timeout(timeoutMs)
  const deadline = signal ? AbortSignal.any([signal, timeout]) : timeout
  // Never the URL in a message: a query credential is part of it.
  const target = `${operation.method} ${url.origin}`
  try {
    const response = await request(url, { method: operation.method, headers, body, signal: deadline })
    const contentType = headerValue(response.headers['content-type'])
    const text = await readCapped(response.body, Number(headerValue(response.headers['content-length']) ?? 0), target)
    return { status: response.statusCode, headers: { 'content-type': contentType }, body: decodeBody(text, contentType) }
  } catch (error) {
    if (error instanceof StudioError) throw error
    const reason = timeout.aborted ? `timed out after ${timeoutMs} ms` : signal?.aborted ? 'was cancelled' : `failed (${(error as { code?: string }).code ?? (error as Error).name})`
    throw new StudioError('TOOL_CALL_FAILED', `the call ${target} of tool "${tool.slug}" ${reason}`, { cause: error })
  }
}

function buildRequest(tool: ExecutableTool, operation: ToolOperation, input: ToolCallInput): { url: URL; headers: Record<string, string>; body: string | undefined } {
  const given = input.parameters ?? {}
  const details: ErrorDetail[] = []
  for (const location of ['path', 'query', 'header'] as const) {
    for (const name of Object.keys(given[location] ?? {})) {
      const known = operation.parameters.some((p) => p.in === location && (location === 'header' ? p.name.toLowerCase() === name.toLowerCase() : p.name === name))
      if (!known) details.push({ path: `/parameters/${location}/${name}`, message: `is not a ${location} parameter of ${operation.id}` })
      else if (location === 'header' && RESERVED_HEADERS.has(name.toLowerCase())) details.push({ path: `/parameters/header/${name}`, message: 'may not be set by a parameter' })
    }
  }
  const encodedPath = new Map<string, string>()
  for (const p of operation.parameters) {
    const value = given[p.in]?.[p.name]
    if (value === undefined) {
      if (p.required) details.push({ path: `/parameters/${p.in}/${p.name}`, message: 'is required' })
      continue
    }
    const problem = p.in === 'path' ? encodePathValue(String(value), (encoded) => encodedPath.set(p.name, encoded)) : p.in === 'header' ? headerValueProblem(String(value)) : undefined
    if (problem) details.push({ path: `/parameters/${p.in}/${p.name}`, message: problem })
  }
  if (operation.bodyRequired && input.body === undefined) details.push({ path: '/body', message: 'is required' })
  if (!operation.hasBody && input.body !== undefined) details.push({ path: '/body', message: `${operation.id} takes no body` })
  if (details.length > 0) throw new StudioError('VALIDATION_FAILED', `the input does not fit operation ${operation.id}`, { details })

  const base = new URL(tool.baseUrl)
  const basePath = base.pathname.replace(/\/+$/, '')
  const path = operation.path.replace(/\{([^{}]+)\}/g, (_, name: string) => encodedPath.get(name)!)
  const url = new URL(base.origin)
  url.pathname = `${basePath}${path}`
  if (url.origin !== base.origin || !url.pathname.startsWith(`${basePath}/`)) {
    throw new StudioError('VALIDATION_FAILED', `the path of ${operation.id} leaves the tool's base URL`, { details: [{ path: '/parameters/path', message: 'leaves the base URL' }] })
  }
  for (const [key, value] of base.searchParams) url.searchParams.append(key, value)
  for (const [name, value] of Object.entries(given.query ?? {})) for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item))

  const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5' }
  for (const [name, value] of Object.entries(given.header ?? {})) headers[name.toLowerCase()] = String(value)
  let body: string | undefined
  if (input.body !== undefined) {
    const contentType = operation.bodyContentType ?? 'application/json'
    const asText = typeof input.body === 'string' && !isJsonType(contentType)
    headers['content-type'] = asText ? contentType : 'application/json'
    body = asText ? (input.body as string) : JSON.stringify(input.body)
  }
  applyCredential(tool, url, headers)
  return { url, headers, body }
}

/** After the parameters, so none of them can replace or remove it. */
function applyCredential(tool: ExecutableTool, url: URL, headers: Record<string, string>): void {
  if (tool.credential === null) return
  switch (tool.auth.type) {
    case 'bearer':
      headers.authorization = `Bearer ${tool.credential}`
      break
    case 'header':
      headers[tool.auth.name.toLowerCase()] = tool.credential
      break
    case 'query':
      url.searchParams.set(tool.auth.name, tool.credential)
      break
    case 'none':
      break
  }
}

/** A path value as one percent-encoded segment (a `/` in it is `%2F`); `.` and `..` would move the path, so are refused. */
function encodePathValue(value: string, use: (encoded: string) => void): string | undefined {
  if (value === '.' || value === '..') return 'may not be . or ..'
  try {
    use(encodeURIComponent(value))
    return undefined
  } catch {
    return 'is not well-formed text'
  }
}

function headerValueProblem(value: string): string | undefined {
  // What HTTP lets a header value hold: no line breaks or other control characters, one byte per character.
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value) ? undefined : 'may hold no control characters and only Latin-1 text'
}

function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }, declaredLength: number, target: string): Promise<string> {
  const tooLarge = () => new StudioError('TOOL_CALL_FAILED', `the answer to ${target} is larger than ${MAX_TOOL_RESPONSE_BYTES} bytes`)
  if (declaredLength > MAX_TOOL_RESPONSE_BYTES) {
    body.destroy()
    throw tooLarge()
  }
  const parts: Buffer[] = []
  let size = 0
  for await (const part of body) {
    size += part.length
    if (size > MAX_TOOL_RESPONSE_BYTES) {
      body.destroy()
      throw tooLarge()
    }
    parts.push(part)
  }
  return Buffer.concat(parts).toString('utf8')
}

function decodeBody(text: string, contentType: string | null): unknown {
  if (!contentType || !isJsonType(contentType) || text === '') return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
