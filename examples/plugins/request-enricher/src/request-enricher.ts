import {
  BasePlugin,
  PlugboardError,
  modify,
  type ConfigProvider,
  type HookContext,
  type JsonValue,
  type PluginContext,
  type PostAuthHook,
  type PostAuthRequest,
  type RequestHookResult,
} from '@plugboard/sdk'

export interface RequestEnricherConfig {
  /** Static headers added to every request, e.g. { "x-team": "ml" }. */
  headers?: Record<string, string>
  /** Count requests per app in the KV store and pass the count on (needs scope kv.readwrite). */
  countRequests?: boolean
}

function parseConfig(config: JsonValue): RequestEnricherConfig {
  if (config === null) return {}
  const value = config as RequestEnricherConfig
  if (typeof value !== 'object' || Array.isArray(value)) throw new PlugboardError('CONFIG_INVALID', 'request-enricher config must be an object')
  for (const [name, header] of Object.entries(value.headers ?? {})) {
    if (typeof header !== 'string' || !/^[a-z0-9-]+$/i.test(name)) {
      throw new PlugboardError('CONFIG_INVALID', `request-enricher: header ${JSON.stringify(name)} must be a token with a string value`)
    }
  }
  return value
}

/** Every header the plugin states a fact in. */
const FACT_HEADERS = ['x-plugboard-app', 'x-plugboard-app-id', 'x-plugboard-user', 'x-plugboard-model', 'x-plugboard-request-id', 'x-plugboard-app-requests']

/**
 * Post-auth plugin that tells the upstream (and later plugins) who is calling:
 * it sets x-plugboard-app / x-plugboard-user / x-plugboard-model headers, adds
 * configured static headers, and records the same facts as chain metadata.
 * A fact the request lacks has its header removed, so a client cannot forge it.
 */
export class RequestEnricher extends BasePlugin implements PostAuthHook, ConfigProvider {
  readonly manifest = {
    id: 'request-enricher',
    name: 'Request enricher',
    version: '0.1.0',
    description: 'Adds app, user and model headers and metadata to authenticated requests',
    runtimes: ['gateway' as const, 'studio' as const],
    permissions: { services: ['kv.readwrite' as const] },
  }
  #config: RequestEnricherConfig = {}

  configSchema(): JsonValue {
    return {
      type: 'object',
      properties: {
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        countRequests: { type: 'boolean', default: false },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#config = parseConfig(ctx.config)
  }

  async postAuth({ context }: PostAuthRequest, ctx: HookContext): Promise<RequestHookResult> {
    const facts: Record<string, string> = {
      'x-plugboard-app': context.app?.name ?? '',
      'x-plugboard-app-id': context.app?.id ?? '',
      'x-plugboard-user': context.user?.email ?? '',
      'x-plugboard-model': context.model,
      'x-plugboard-request-id': context.requestId,
    }
    if (this.#config.countRequests && context.app) {
      const key = `requests/${context.app.id}`
      const count = ((await ctx.services.kv.getJson<number>(key, { signal: ctx.signal })) ?? 0) + 1
      await ctx.services.kv.set(key, count, { signal: ctx.signal })
      facts['x-plugboard-app-requests'] = String(count)
    }
    const present = Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== ''))
    return modify({
      setHeaders: { ...this.#config.headers, ...present },
      // The client's own headers of these names are removed: a fact the request lacks cannot be forged (x-plugboard-user: ceo@…).
      removeHeaders: FACT_HEADERS.filter((name) => !(name in present)),
      metadata: { enrichedBy: 'request-enricher', ...present },
    })
  }
}
