import {
  BasePlugin,
  PlugboardError,
  type ConfigProvider,
  type JsonValue,
  type PluginContext,
  type ResponseHeadersResult,
  type ResponseHook,
} from '@plugboard/sdk'

export interface ResponseHeadersConfig {
  /** Headers set on every response, replacing any the upstream sent, e.g. { "x-served-by": "plugboard" }. */
  headers?: Record<string, string>
  /** Headers removed from every response, e.g. ["server", "x-powered-by"]. */
  remove?: string[]
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i
/** Headers that frame the HTTP message: the gateway owns them, so config may not touch them. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection'])

function headerName(name: unknown): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new PlugboardError('CONFIG_INVALID', `response-headers: ${JSON.stringify(name)} is not a valid header name`)
  }
  const lower = name.toLowerCase()
  if (FRAMING.has(lower)) throw new PlugboardError('CONFIG_INVALID', `response-headers: "${lower}" is managed by the gateway and cannot be configured`)
  return lower
}

function parseConfig(config: JsonValue): Required<ResponseHeadersConfig> {
  const value = config as ResponseHeadersConfig | null
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new PlugboardError('CONFIG_INVALID', 'response-headers needs config { "headers": { "x-served-by": "plugboard" }, "remove": ["server"] }')
  }
  if (value.remove !== undefined && !Array.isArray(value.remove)) throw new PlugboardError('CONFIG_INVALID', 'response-headers: "remove" must be a list of header names')
  const headers: Record<string, string> = {}
  for (const [name, header] of Object.entries(value.headers ?? {})) {
    if (typeof header !== 'string' || /[\r\n]/.test(header)) {
      throw new PlugboardError('CONFIG_INVALID', `response-headers: the value of "${name}" must be a single-line string`)
    }
    headers[headerName(name)] = header
  }
  return { headers, remove: (value.remove ?? []).map(headerName) }
}

/**
 * Response plugin that sets configured headers on every response and removes
 * others (e.g. the upstream's `server`). A header both removed and set ends up set.
 */
export class ResponseHeaders extends BasePlugin implements ResponseHook, ConfigProvider {
  readonly manifest = {
    id: 'response-headers',
    name: 'Response headers',
    version: '0.1.0',
    description: 'Adds configured headers to every response and removes unwanted ones',
    runtimes: ['gateway' as const, 'studio' as const],
  }
  #config: Required<ResponseHeadersConfig> = { headers: {}, remove: [] }

  configSchema(): JsonValue {
    return {
      type: 'object',
      properties: {
        headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Headers set on every response' },
        remove: { type: 'array', items: { type: 'string' }, description: 'Headers removed from every response' },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#config = parseConfig(ctx.config)
  }

  onResponseHeaders(): ResponseHeadersResult {
    return { action: 'modify', setHeaders: this.#config.headers, removeHeaders: this.#config.remove }
  }
}
