import { parse as parseYaml } from 'yaml'
import { StudioError } from '../errors.js'

/** The largest OpenAPI document a tool takes, as JSON. */
export const MAX_SPEC_BYTES = 1024 * 1024

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
/** How many `$ref`s may lead from one to the next before the chain is taken for a loop. */
const MAX_REF_HOPS = 16

/** An OpenAPI 3.0 or 3.1 document as JSON: checked by `readOpenApiDocument`, otherwise opaque. */
export type OpenApiDocument = Record<string, unknown>

/** Where a parameter goes. Cookie parameters are not listed: a tool call does not send cookies. */
export type ParameterLocation = 'path' | 'query' | 'header'

/** One parameter of an operation, as a caller fills it in. */
export interface ToolParameter {
  name: string
  in: ParameterLocation
  required: boolean
  description: string | null
  /** The parameter's JSON Schema as the document gives it (its `$ref`s unresolved). */
  schema: unknown
}

/** One HTTP operation of a tool's document, as listed and executed. */
export interface ToolOperation {
  /** The `operationId`, or `METHOD /path` when the document gives none. */
  id: string
  method: Uppercase<(typeof METHODS)[number]>
  path: string
  summary: string | null
  parameters: ToolParameter[]
  hasBody: boolean
  bodyRequired: boolean
  /** The media type a body is sent as: the document's JSON one when it has one, else the first by name. */
  bodyContentType: string | null
}

function invalid(reason: string, cause?: unknown): StudioError {
  return new StudioError('TOOL_SPEC_INVALID', `the OpenAPI document cannot be used: ${reason}`, { cause, details: [{ path: '/spec', message: reason }] })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Reads a tool's OpenAPI document from a JSON object or JSON/YAML text and
 * checks that it can serve as a tool: OpenAPI 3.0 or 3.1, at most 1 MB as
 * JSON, every local `$ref` resolving, and at least one operation with a
 * unique id. Throws TOOL_SPEC_INVALID saying why it cannot.
 * @returns the document as plain JSON (YAML aliases expanded), ready to store.
 * @example readOpenApiDocument('openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths: {/ping: {get: {}}}')
 */
export function readOpenApiDocument(input: unknown): { document: OpenApiDocument; operations: ToolOperation[] } {
  const document = asJson(typeof input === 'string' ? parseText(input) : input)
  if (!isObject(document)) throw invalid('it is not an object')
  if ('swagger' in document) throw invalid(`it is Swagger ${String(document.swagger)}; convert it to OpenAPI 3 first`)
  if (typeof document.openapi !== 'string' || !/^3\.[01]\.\d+/.test(document.openapi)) throw invalid(`"openapi" is ${JSON.stringify(document.openapi ?? null)}, not 3.0.x or 3.1.x`)
  checkRefs(document)
  const operations = listOperations(document)
  if (operations.length === 0) throw invalid('it has no operations under "paths"')
  return { document, operations }
}

function parseText(text: string): unknown {
  if (text.length > MAX_SPEC_BYTES) throw invalid(`it is larger than ${MAX_SPEC_BYTES} bytes`)
  const trimmed = text.trimStart()
  try {
    // JSON first: YAML would take most JSON too, but JSON's errors are the clearer ones for JSON text.
    return trimmed.startsWith('{') ? JSON.parse(trimmed) : parseYaml(text, { maxAliasCount: 100, uniqueKeys: true })
  } catch (cause) {
    throw invalid(`it is not valid ${trimmed.startsWith('{') ? 'JSON' : 'YAML'}: ${(cause as Error).message.split('\n')[0]}`, cause)
  }
}

/** The document as plain, bounded JSON: YAML may alias a node into a cycle or expand it past the limit. */
function asJson(value: unknown): unknown {
  let text: string
  try {
    text = JSON.stringify(value) ?? 'null'
  } catch (cause) {
    throw invalid('it refers to itself (a YAML alias cycle)', cause)
  }
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES) throw invalid(`it is larger than ${MAX_SPEC_BYTES} bytes as JSON`)
  return JSON.parse(text)
}

/** The value a local JSON pointer (`#/components/parameters/id`) names, or undefined. */
function resolvePointer(document: OpenApiDocument, ref: string): unknown {
  if (ref === '#') return document
  if (!ref.startsWith('#/')) return undefined
  let node: unknown = document
  for (const raw of ref.slice(2).split('/')) {
    let key: string
    try {
      key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    } catch {
      return undefined
    }
    if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)]
    else if (isObject(node) && Object.hasOwn(node, key)) node = node[key]
    else return undefined
  }
  return node
}

/** TOOL_SPEC_INVALID unless every local `$ref` anywhere in the document names something (iterative: the document may nest deeply). */
function checkRefs(document: OpenApiDocument): void {
  const stack: unknown[] = [document]
  while (stack.length > 0) {
    const node = stack.pop()
    if (Array.isArray(node)) stack.push(...node)
    else if (isObject(node)) {
      if (typeof node.$ref === 'string' && node.$ref.startsWith('#') && resolvePointer(document, node.$ref) === undefined) throw invalid(`$ref "${node.$ref.slice(0, 200)}" names nothing in the document`)
      for (const value of Object.values(node)) if (typeof value === 'object' && value !== null) stack.push(value)
    }
  }
}

/** Follows `$ref`s (local ones only) to the object they name. */
function deref(document: OpenApiDocument, value: unknown, what: string): Record<string, unknown> {
  let node = value
  for (let hop = 0; isObject(node) && typeof node.$ref === 'string'; hop++) {
    if (hop === MAX_REF_HOPS) throw invalid(`the $ref of ${what} leads round in a loop`)
    if (!node.$ref.startsWith('#')) throw invalid(`${what} is an external $ref ("${node.$ref.slice(0, 200)}"); only refs within the document are read`)
    node = resolvePointer(document, node.$ref)
  }
  if (!isObject(node)) throw invalid(`${what} is not an object`)
  return node
}

function readParameter(document: OpenApiDocument, value: unknown, what: string): ToolParameter | { in: 'cookie'; name: string } {
  const p = deref(document, value, what)
  if (typeof p.name !== 'string' || p.name === '') throw invalid(`${what} has no name`)
  if (p.in === 'cookie') return { in: 'cookie', name: p.name }
  if (p.in !== 'path' && p.in !== 'query' && p.in !== 'header') throw invalid(`${what} ("${p.name}") is "in" ${JSON.stringify(p.in ?? null)}, not path, query, header or cookie`)
  return { name: p.name, in: p.in, required: p.in === 'path' || p.required === true, description: typeof p.description === 'string' ? p.description : null, schema: p.schema ?? null }
}

/** Operation-level parameters replace path-level ones of the same name and place, as OpenAPI says. */
function mergeParameters(document: OpenApiDocument, where: string, ...lists: unknown[]): ToolParameter[] {
  const merged = new Map<string, ToolParameter | { in: 'cookie'; name: string }>()
  for (const list of lists) {
    if (list === undefined) continue
    if (!Array.isArray(list)) throw invalid(`the parameters of ${where} are not a list`)
    list.forEach((value, i) => {
      const parameter = readParameter(document, value, `parameter ${i} of ${where}`)
      // Header names are case-insensitive; the rest are not.
      merged.set(`${parameter.in}:${parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name}`, parameter)
    })
  }
  return [...merged.values()].filter((p): p is ToolParameter => p.in !== 'cookie')
}

function readBody(document: OpenApiDocument, value: unknown, where: string): Pick<ToolOperation, 'hasBody' | 'bodyRequired' | 'bodyContentType'> {
  if (value === undefined) return { hasBody: false, bodyRequired: false, bodyContentType: null }
  const body = deref(document, value, `the requestBody of ${where}`)
  // Sorted: a stored document (jsonb) does not keep the key order, and the choice must not change with it.
  const types = isObject(body.content) ? Object.keys(body.content).sort() : []
  return { hasBody: true, bodyRequired: body.required === true, bodyContentType: types.find(isJsonType) ?? types[0] ?? 'application/json' }
}

/** `application/json` and its `+json` kin (`application/problem+json`). */
export function isJsonType(contentType: string): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim())
}

/**
 * Every operation of a document `readOpenApiDocument` accepted, by path,
 * then in OpenAPI's method order: not in document order, which a stored
 * document (jsonb) does not keep.
 */
export function listOperations(document: OpenApiDocument): ToolOperation[] {
  const paths = document.paths ?? {}
  if (!isObject(paths)) throw invalid('"paths" is not an object')
  const operations: ToolOperation[] = []
  const ids = new Set<string>()
  for (const [path, value] of Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!path.startsWith('/')) throw invalid(`the path "${path.slice(0, 200)}" does not start with /`)
    const item = deref(document, value, `path ${path}`)
    for (const method of METHODS) {
      if (item[method] === undefined) continue
      const where = `${method.toUpperCase()} ${path}`
      const operation = deref(document, item[method], where)
      const declared = mergeParameters(document, where, item.parameters, operation.parameters)
      const id = typeof operation.operationId === 'string' && operation.operationId !== '' ? operation.operationId : where
      if (ids.has(id)) throw invalid(`two operations have the id "${id}"`)
      ids.add(id)
      operations.push({
        id,
        method: method.toUpperCase() as ToolOperation['method'],
        path,
        summary: typeof operation.summary === 'string' ? operation.summary : null,
        parameters: withTemplateParameters(path, declared),
        ...readBody(document, operation.requestBody, where),
      })
    }
  }
  return operations
}

/** A `{name}` in the path that no parameter declares is still required to build the URL. */
function withTemplateParameters(path: string, declared: ToolParameter[]): ToolParameter[] {
  const missing = [...path.matchAll(/\{([^{}]+)\}/g)]
    .map((m) => m[1]!)
    .filter((name) => !declared.some((p) => p.in === 'path' && p.name === name))
  return [...declared, ...missing.map((name): ToolParameter => ({ name, in: 'path', required: true, description: null, schema: null }))]
}

/** The document's first server URL with its variables at their defaults, when it is an absolute http(s) URL. */
export function firstServerUrl(document: OpenApiDocument): string | undefined {
  const server = Array.isArray(document.servers) ? document.servers[0] : undefined
  if (!isObject(server) || typeof server.url !== 'string') return undefined
  const variables = isObject(server.variables) ? server.variables : {}
  const url = server.url.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
    const variable = variables[name]
    return isObject(variable) && typeof variable.default === 'string' ? variable.default : whole
  })
  // No user:password@ in it: a credential goes in the tool's encrypted field, never in a URL that is shown.
  return /^https?:\/\/[^/?#@{}\s]+(?:[/?#][^{}\s]*)?$/i.test(url) && URL.canParse(url) ? url : undefined
}
