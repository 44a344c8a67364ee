import { PlugboardError, pluginv1 as pb } from '@plugboard/proto'
import type {
  AgentChunk,
  AuthResult,
  BodyInit,
  Headers,
  JsonValue,
  ObjectHookResult,
  RequestHookResult,
  ResponseBodyResult,
  ResponseChunkResult,
  ResponseHeadersResult,
} from './types.js'

export type ConvertErrorCode = 'HOOK_INVALID_RESULT' | 'SERVICE_INVALID_RESPONSE' | 'PLUGIN_INVALID_JSON'

function isBytes(body: BodyInit): body is Buffer | Uint8Array {
  return body instanceof Uint8Array
}

/** Bytes as they go on the wire: bytes as given, strings as UTF-8, anything else as JSON. */
export function encodeBody(body: BodyInit | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0)
  if (isBytes(body)) return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (typeof body === 'string') return Buffer.from(body)
  return Buffer.from(JSON.stringify(body))
}

/** Adds `content-type: application/json` when the body is a JSON value and no type was set. */
function withContentType(headers: Headers | undefined, body: BodyInit | undefined): Headers {
  const result = { ...headers }
  if (body !== undefined && !isBytes(body) && typeof body !== 'string' && !result['content-type']) {
    result['content-type'] = 'application/json'
  }
  return result
}

export function parseJson(bytes: Buffer, code: ConvertErrorCode = 'PLUGIN_INVALID_JSON'): JsonValue {
  if (bytes.length === 0) return null
  try {
    return JSON.parse(bytes.toString('utf8')) as JsonValue
  } catch (cause) {
    throw new PlugboardError<ConvertErrorCode>(code, `expected JSON, got ${bytes.length} bytes that do not parse`, { cause })
  }
}

function invalid(hook: string, result: unknown): PlugboardError<ConvertErrorCode> {
  return new PlugboardError<ConvertErrorCode>(
    'HOOK_INVALID_RESULT',
    `${hook} returned ${JSON.stringify(result)?.slice(0, 200) ?? String(result)}; return one of the result helpers (pass(), modify(…), block(…), …)`,
  )
}

const lowerKeys = (headers: Headers | undefined): Headers =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]))

export function requestResultToProto(hook: string, result: RequestHookResult): pb.RequestHookResult {
  switch (result?.action) {
    case 'pass':
      return { result: { $case: 'pass', value: {} } }
    case 'modify':
      return {
        result: {
          $case: 'modify',
          value: {
            setHeaders: lowerKeys(withContentType(result.setHeaders, result.body)),
            removeHeaders: (result.removeHeaders ?? []).map((name) => name.toLowerCase()),
            body: result.body === undefined ? undefined : { data: encodeBody(result.body) },
            metadata: result.metadata ?? {},
          },
        },
      }
    case 'block':
      if (!Number.isInteger(result.status) || result.status < 100 || result.status > 599) throw invalid(hook, result)
      return {
        result: {
          $case: 'block',
          value: { status: result.status, headers: lowerKeys(withContentType(result.headers, result.body)), body: encodeBody(result.body) },
        },
      }
    default:
      throw invalid(hook, result)
  }
}

export function authResultToProto(hook: string, result: AuthResult): pb.AuthResult {
  switch (result?.action) {
    case 'pass':
      return { result: { $case: 'pass', value: {} } }
    case 'authenticate':
      if (!result.app?.id) throw invalid(hook, result)
      return { result: { $case: 'authenticated', value: { app: result.app, user: result.user } } }
    case 'reject':
      return { result: { $case: 'rejected', value: { status: result.status ?? 401, code: result.code, message: result.message } } }
    default:
      throw invalid(hook, result)
  }
}

export function headersResultToProto(hook: string, result: ResponseHeadersResult): pb.ResponseHeadersResult {
  switch (result?.action) {
    case 'pass':
      return { result: { $case: 'pass', value: {} } }
    case 'modify':
      return {
        result: {
          $case: 'modify',
          value: {
            status: result.status === undefined ? undefined : { value: result.status },
            setHeaders: lowerKeys(result.setHeaders),
            removeHeaders: (result.removeHeaders ?? []).map((name) => name.toLowerCase()),
          },
        },
      }
    default:
      throw invalid(hook, result)
  }
}

type PassOrReplace = { result?: { $case: 'pass'; value: pb.Pass } | { $case: 'replace'; value: pb.Bytes } | undefined }

/** Body and chunk results share one shape: pass, or replace with new bytes. */
function passOrReplace(hook: string, result: { action: string }, replacement: BodyInit | undefined): PassOrReplace {
  switch (result?.action) {
    case 'pass':
      return { result: { $case: 'pass', value: {} } }
    case 'replace':
      return { result: { $case: 'replace', value: { data: encodeBody(replacement) } } }
    default:
      throw invalid(hook, result)
  }
}

export function bodyResultToProto(hook: string, result: ResponseBodyResult): pb.ResponseBodyResult {
  return passOrReplace(hook, result, result?.action === 'replace' ? result.body : undefined)
}

export function chunkResultToProto(hook: string, result: ResponseChunkResult): pb.ResponseChunkResult {
  return passOrReplace(hook, result, result?.action === 'replace' ? result.data : undefined)
}

export function objectResultToProto(hook: string, result: ObjectHookResult): pb.ObjectHookResult {
  switch (result?.action) {
    case 'pass':
      return { result: { $case: 'pass', value: {} } }
    case 'modify':
      return { result: { $case: 'modify', value: { json: encodeBody(result.object) } } }
    case 'reject':
      return { result: { $case: 'reject', value: { message: result.message } } }
    default:
      throw invalid(hook, result)
  }
}

export function agentChunkToProto(chunk: AgentChunk): pb.AgentChunk {
  switch (chunk?.type) {
    case 'content':
      return { chunk: { $case: 'content', value: chunk.text } }
    case 'thinking':
      return { chunk: { $case: 'thinking', value: chunk.text } }
    case 'tool_call':
      return { chunk: { $case: 'toolCall', value: { id: chunk.id, name: chunk.name, argumentsJson: encodeBody(chunk.arguments) } } }
    case 'tool_result':
      return {
        chunk: { $case: 'toolResult', value: { id: chunk.id, resultJson: encodeBody(chunk.result), isError: chunk.isError ?? false } },
      }
    case 'error':
      return { chunk: { $case: 'error', value: { code: chunk.code, message: chunk.message } } }
    case 'done':
      return { chunk: { $case: 'done', value: {} } }
    default:
      throw invalid('agent', chunk)
  }
}
