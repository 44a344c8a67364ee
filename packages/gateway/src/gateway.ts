import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ManagedPlugin } from '@plugboard/host'
import type { Logger } from 'pino'
import { ApiKeyAuthenticator } from './api-keys.js'
import { MemoryBudgetStore, type BudgetStore } from './budget.js'
import { BudgetLimits } from './budget-limits.js'
import { answerClientError, answerConnect, answerExpectationFailed } from './client-errors.js'
import { DataCollectorQueue } from './collector.js'
import type { GatewayConfig, ServerConfig } from './config.js'
import { configChanges } from './config-diff.js'
import { staticConfigSource, type ConfigSource } from './config-source.js'
import { GatewayError } from './errors.js'
import { GatewayPlugins, type GatewayPluginHostOptions, type PluginChanges, type PluginFailureHandling } from './gateway-plugins.js'
import { sendError, sendJson } from './http-io.js'
import { GatewayMetrics } from './metrics.js'
import { Exchange, type PipelineServices } from './pipeline/exchange.js'
import { findEndpoint, PLUGIN_UI_PATH } from './plugin-endpoints.js'
import { MODEL_PREFIX } from './pipeline/list-models.js'
import { pipelines, type ProxyState } from './proxy.js'
import { guardedRequestLog, type RequestLog } from './request-log.js'
import { SERVICE_INDEX } from './service-index.js'
import { anthropicMessages } from './dialects/anthropic.js'
import type { Dialect } from './dialects/dialect.js'
import { openAiResponses } from './dialects/responses.js'
import { anthropicVendor } from './vendors/anthropic.js'
import { mockVendor } from './vendors/mock.js'
import { openAiVendor } from './vendors/openai.js'

/** Where the config comes from: a source that is watched for changes, or a fixed config. */
export type GatewayConfigOption = { source: ConfigSource } | { config: GatewayConfig }

export type GatewayOptions = GatewayConfigOption & {
  logger: Logger
  budgets?: BudgetStore
  /** The time in epoch ms, for budget periods and key expiry (default Date.now; tests move it). */
  clock?: () => number
  /** Where to listen, over the config's `server.host` / `server.port` (the CLI's `--host` / `--port`). */
  listen?: { host?: string; port?: number }
  /**
   * Gets one record per proxied LLM request (chat completions, embeddings,
   * pass-through; refused ones too) once its response is over. Called on the
   * event loop, so it should only buffer; what it throws is caught and
   * counted in `plugboard_request_log_failures_total`.
   */
  requestLog?: RequestLog
  /** Paths another server on this port answers (Studio's admin API in `plugboard up`); the gateway hands those requests over untouched. */
  delegate?: RequestDelegate
  /**
   * What the gateway's plugin host gets besides its defaults: the KV store and
   * event bus shared with Studio, the control plane's Service API methods, a
   * logger of its own (Studio keeps each plugin's log tail).
   */
  pluginHost?: GatewayPluginHostOptions
  /** Whether a plugin that cannot start fails the whole config change (the default) or only itself (see `PluginFailureHandling`). */
  pluginFailures?: PluginFailureHandling
}

/** A handler for the paths it owns, sharing the gateway's port. */
export interface RequestDelegate {
  owns(path: string): boolean
  handle(req: IncomingMessage, res: ServerResponse): void
}

interface LiveState extends ProxyState {
  /** Fail-closed plugins bound to a hook: while one is down the gateway is not ready. */
  failClosed: ManagedPlugin[]
  inFlight: number
}

/**
 * Node's server options from the config (read once, at start). Node checks the
 * header and request timeouts only every `connectionsCheckingInterval` (30 s by
 * default), so that is set to a fraction of the shorter one: a slow client is
 * dropped close to its deadline. `requestTimeout` covers receiving the request
 * only: streamed responses are not cut by it.
 */
function serverOptions(server: ServerConfig): ServerOptions {
  return {
    headersTimeout: server.headersTimeoutMs,
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(Math.min(server.headersTimeoutMs, server.requestTimeoutMs) / 4))),
  }
}

/** Readiness as `/ready` reports it. */
export interface Readiness {
  status: 'ready' | 'degraded' | 'closing'
  /** Why it is not ready, one line each. */
  reasons: string[]
}

const VENDORS = { mock: mockVendor, openai: openAiVendor, anthropic: anthropicVendor }
const REQUEST_ID = /^[\w.-]{1,128}$/
/** Stream-complete calls in flight at most; more are skipped and counted. */
const MAX_STREAM_COMPLETE_IN_FLIGHT = 256
/** The most of a response kept for stream-complete and data collection. */
const MAX_KEPT_RESPONSE_BYTES = 1024 * 1024
const PINNED = /^\/llm\/([a-z0-9-]+)\/(?:v1\/)?(chat\/completions|embeddings)$/
/** The APIs other than chat completions, by path: their errors take the API's shape, from the first. */
const DIALECTS: Record<string, Dialect> = {
  '/v1/messages': anthropicMessages,
  '/v1/messages/count_tokens': anthropicMessages,
  '/v1/responses': openAiResponses,
}
const PASS_THROUGH = /^\/llm\/([a-z0-9-]+)(\/.+)$/
const PLUGIN_ROUTE = /^\/plugins\/([a-z0-9-]+)(\/.*)?$/
/** Every path `#route` answers but `/`, the service index; kept beside the routes it sums up. */
const OWN_PATH = /^\/(?:health|ready|metrics|v1|llm|plugins)(?:\/|$)/

/**
 * Whether the gateway answers `path` itself (its service index `/` aside):
 * what a server sharing its port (Studio in `plugboard up`) may take is the rest,
 * plugins' UI assets under `/plugins/{slug}/ui/` among it.
 */
export function isGatewayPath(path: string): boolean {
  return OWN_PATH.test(path) && !PLUGIN_UI_PATH.test(path)
}

/** The path of a request target, without its query. */
function pathOf(url: string | undefined): string {
  const end = url?.indexOf('?') ?? -1
  return (end === -1 ? url : url!.slice(0, end)) ?? '/'
}

/** METHOD_NOT_ALLOWED unless the request's method is the one the path takes (a GET path takes HEAD too: Node sends no body). */
function requireMethod(req: IncomingMessage, method: 'GET' | 'POST'): void {
  if (req.method === method || (method === 'GET' && req.method === 'HEAD')) return
  const allow = method === 'GET' ? 'GET, HEAD' : method
  throw new GatewayError('METHOD_NOT_ALLOWED', `${req.url} takes ${allow}, not ${req.method}`, undefined, { headers: { allow } })
}
/** How long requests of a replaced config may run before its removed plugins are stopped anyway. */
const RETIRE_TIMEOUT_MS = 60_000
/** How long close waits for data-collection plugins to take what is buffered for them. */
const COLLECTOR_CLOSE_TIMEOUT_MS = 10_000

/**
 * The gateway: an OpenAI-compatible HTTP server whose requests flow through
 * the configured plugins' hooks. Its config comes from a {@link ConfigSource}
 * and changes are applied incrementally (see `reload`). Stateless apart from
 * its config, so many can run behind a load balancer.
 *
 * @example
 * const gateway = await Gateway.start({ source: yamlFileSource('gateway.yaml'), logger: pino() })
 * console.log(gateway.url) // http://127.0.0.1:8080
 */
export class Gateway {
  readonly metrics = new GatewayMetrics()
  readonly #server: Server
  readonly #services: PipelineServices
  readonly #collector: DataCollectorQueue
  readonly #plugins: GatewayPlugins
  #state!: LiveState
  #stopWatching: () => void = () => {}
  /** The apply in progress (or the start); the next waits for it, so applies never overlap. */
  #applying: Promise<void> = Promise.resolve()
  /** The config the last `reload` asked for: an older one still queued is skipped. */
  #wanted: GatewayConfig | undefined
  /** Replaced by a reload, maybe with requests still running: a removed plugin stops once none has any. */
  readonly #replaced = new Set<LiveState>()
  #closing = false
  /** Requests being handled, whichever config state they started on. */
  #inFlight = 0

  /** `server` options are read once, here: Node's server cannot change them while it listens. */
  private constructor(
    private readonly options: GatewayOptions,
    server: ServerConfig,
  ) {
    this.#plugins = new GatewayPlugins({ logger: options.logger, metrics: this.metrics, host: options.pluginHost, failures: options.pluginFailures })
    this.#collector = new DataCollectorQueue(() => this.#state.chains.dataCollection, () => this.#state.config.collector, this.metrics, options.logger)
    this.#services = {
      budgets: options.budgets ?? new MemoryBudgetStore(),
      now: options.clock ?? Date.now,
      collector: this.#collector,
      metrics: this.metrics,
      streamComplete: { inFlight: 0, max: MAX_STREAM_COMPLETE_IN_FLIGHT },
      maxKeptResponseBytes: MAX_KEPT_RESPONSE_BYTES,
      requestLog: options.requestLog && guardedRequestLog(options.requestLog, this.metrics),
    }
    const delegate = options.delegate
    this.#server = createServer(serverOptions(server), (req, res) => {
      if (delegate?.owns(pathOf(req.url))) delegate.handle(req, res)
      else void this.#handle(req, res)
    })
    this.#server.maxConnections = server.maxConnections
    // Errors of Node's HTTP parser and unmet expectations get the same JSON error body as every other error.
    this.#server.on('clientError', answerClientError)
    this.#server.on('checkExpectation', answerExpectationFailed)
    this.#server.on('connect', answerConnect)
  }

  /** Loads the config, starts its plugins and listens; rejects (with nothing left running) when any of that fails. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const source = 'source' in options ? options.source : staticConfigSource(options.config)
    const config = await source.load()
    const gateway = new Gateway(options, config.server)
    const starting = (async () => {
      gateway.#state = (await gateway.#buildState(config)).state
      const host = options.listen?.host ?? config.server.host
      const port = options.listen?.port ?? config.server.port
      await new Promise<void>((resolve, reject) => {
        gateway.#server.once('error', reject)
        gateway.#server.listen(port, host, () => resolve())
      })
    })()
    gateway.#applying = starting.catch(() => undefined)
    // Watching starts before the plugins are up, so an edit made while they start is not missed: it is applied after.
    gateway.#stopWatching = source.watch(
      (next) => gateway.reload(next).catch(() => undefined),
      (error) => gateway.#rejected(error),
    )
    try {
      await starting
    } catch (error) {
      gateway.#closing = true
      gateway.#stopWatching()
      await gateway.#plugins.shutdown()
      throw error
    }
    options.logger.info({ url: gateway.url, plugins: config.plugins.map((p) => p.name) }, 'gateway listening')
    return gateway
  }

  /** The config in force: the last one applied. */
  get config(): GatewayConfig {
    return this.#state.config
  }

  get url(): string {
    const address = this.#server.address() as AddressInfo
    return `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`
  }

  /**
   * Applies a new config incrementally: LLMs, apps, keys and prices at once for
   * new requests; plugins whose entry did not change keep running untouched;
   * a changed plugin alone is reloaded (or only re-scoped, or only re-bound);
   * a removed one stops once the requests that started before are done.
   * Applies are serialized and the newest wins: a config superseded while it
   * waited is skipped, and the promise resolves then. Rejects, keeping the
   * running config, when a plugin of the new config cannot be started.
   * `server.host` and `server.port` apply at the next start.
   */
  reload(config: GatewayConfig): Promise<void> {
    this.#wanted = config
    const run = this.#applying.then(() => (this.#wanted === config && !this.#closing ? this.#apply(config) : undefined))
    this.#applying = run.catch(() => undefined)
    return run
  }

  /** The loaded plugins (status pages, tests); a plugin removed by a reload stays listed until it stopped. */
  plugins(): ManagedPlugin[] {
    return this.#plugins.host.list()
  }

  /** Why the gateway is not ready, if it is not: a fail-closed plugin down, a data-collection plugin given up, closing. */
  readiness(): Readiness {
    if (this.#closing) return { status: 'closing', reasons: ['the gateway is shutting down'] }
    const state = this.#state
    const reasons = [
      ...state.failClosed
        .filter((plugin) => !plugin.available)
        .map((plugin) => `fail-closed plugin "${plugin.name}" is ${plugin.state === 'running' ? 'running but its channel is unavailable' : plugin.state}`),
      ...state.chains.dataCollection
        .filter(({ plugin }) => plugin.state === 'failed')
        .map(({ plugin }) => `data-collection plugin "${plugin.name}" crashed too often and was given up; its records are dropped`),
    ]
    return { status: reasons.length ? 'degraded' : 'ready', reasons }
  }

  /** Stops accepting requests, lets in-flight ones finish, delivers buffered data collection (bounded) and stops plugins. Idempotent. */
  async close(): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    this.#stopWatching()
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    // Once no request is in flight, every connection left is a client's idle keep-alive, even one
    // Node does not count as idle (a client that cancelled a response body, as MCP clients do with
    // a 202), which would hold close() until its keep-alive timeout: a second to finish, then closed.
    while (this.#inFlight > 0) await sleep(50)
    this.#server.closeIdleConnections()
    await Promise.race([closed, sleep(1000, undefined, { ref: false })])
    this.#server.closeAllConnections()
    await closed
    await this.#applying
    await this.#collector.close(COLLECTOR_CLOSE_TIMEOUT_MS)
    await this.#plugins.shutdown()
  }

  async #apply(config: GatewayConfig): Promise<void> {
    const previous = this.#state
    let next: { state: LiveState; changes: PluginChanges }
    try {
      next = await this.#buildState(config)
    } catch (error) {
      this.#rejected(error)
      throw error
    }
    for (const replaced of this.#replaced) if (replaced.inFlight === 0) this.#replaced.delete(replaced)
    this.#replaced.add(previous)
    this.#state = next.state
    const changes = configChanges(previous.config, config, next.changes)
    // A feed pushes the whole config on every Studio write; one that changed nothing the gateway serves is no news.
    if (Object.keys(changes).length > 0) this.options.logger.info({ changes }, 'config applied')
    else this.options.logger.debug('config applied: nothing changed')
    if (changes.server?.some((key) => key === 'host' || key === 'port')) {
      this.options.logger.warn({ host: config.server.host, port: config.server.port }, 'server.host and server.port take effect at the next start')
    }
    void this.#retire(next.changes.removed)
  }

  #rejected(error: unknown): void {
    this.options.logger.error({ reason: (error as Error).message, code: (error as { code?: string }).code }, 'config rejected')
  }

  async #buildState(config: GatewayConfig): Promise<{ state: LiveState; changes: PluginChanges }> {
    const { chains, failClosed, changes } = await this.#plugins.apply(config.plugins)
    return { state: { config, chains, failClosed, keys: new ApiKeyAuthenticator(config.apps), budgets: new BudgetLimits(config.budgets.limits), vendors: VENDORS, inFlight: 0 }, changes }
  }

  /**
   * Once the requests that started under any replaced config are done
   * (bounded: any of them may still hold a removed plugin), the removed
   * plugins get their buffered records and stop.
   */
  async #retire(removed: string[]): Promise<void> {
    if (removed.length === 0) return
    const replaced = [...this.#replaced]
    const deadline = Date.now() + RETIRE_TIMEOUT_MS
    while (replaced.some((state) => state.inFlight > 0) && Date.now() < deadline && !this.#closing) await sleep(100)
    const release = this.#applying.then(async () => {
      const gone = removed.filter((name) => this.#plugins.retiring(name))
      await Promise.all(gone.map((name) => this.#collector.retire(name, COLLECTOR_CLOSE_TIMEOUT_MS)))
      await this.#plugins.release(gone)
    })
    this.#applying = release.catch((error: unknown) => this.options.logger.error({ err: String(error), plugins: removed }, 'removed plugins did not stop cleanly'))
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = req.headers['x-request-id']
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    const log = this.options.logger.child({ requestId })
    const controller = new AbortController()
    // The upstream call and each plugin's hook channel listen to it: more than Node's default of 10 with many plugins bound.
    setMaxListeners(0, controller.signal)
    res.once('close', () => {
      if (!res.writableFinished) controller.abort()
    })
    const state = this.#state
    state.inFlight++
    this.#inFlight++
    try {
      await this.#route(req, res, requestId, log, controller.signal, state)
    } catch (error) {
      sendError(res, error, requestId, log, DIALECTS[pathOf(req.url)])
    } finally {
      state.inFlight--
      this.#inFlight--
    }
  }

  /** Picks the route; every client route runs its pipeline (proxy.ts), which answers its own errors. */
  async #route(req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger, signal: AbortSignal, state: LiveState): Promise<void> {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://gateway')
    } catch (cause) {
      throw new GatewayError('BAD_REQUEST', 'the request URL is malformed', undefined, { cause })
    }
    const path = url.pathname
    const exchange = (route: string) => new Exchange(req, res, url, requestId, log, signal, route, state, this.#services)
    switch (path) {
      case '/':
        requireMethod(req, 'GET')
        return sendJson(res, 200, SERVICE_INDEX)
      case '/health':
        requireMethod(req, 'GET')
        return sendJson(res, 200, { status: 'ok' })
      case '/ready': {
        requireMethod(req, 'GET')
        const readiness = this.readiness()
        return sendJson(res, readiness.status === 'ready' ? 200 : 503, readiness)
      }
      case '/metrics':
        requireMethod(req, 'GET')
        res.writeHead(200, { 'content-type': this.metrics.registry.contentType })
        return void res.end(await this.metrics.registry.metrics())
      case '/v1/models':
        requireMethod(req, 'GET')
        return pipelines.models(exchange(path))
      case '/v1/chat/completions':
        requireMethod(req, 'POST')
        return pipelines.chat(exchange(path))
      case '/v1/embeddings':
        requireMethod(req, 'POST')
        return pipelines.embeddings(exchange(path))
      case '/v1/messages':
      case '/v1/responses':
      case '/v1/messages/count_tokens': {
        requireMethod(req, 'POST')
        const x = exchange(path)
        x.dialect = DIALECTS[path]
        return (path === '/v1/responses' ? pipelines.responses : path === '/v1/messages' ? pipelines.messages : pipelines.countTokens)(x)
      }
    }
    if (path.startsWith(MODEL_PREFIX)) {
      requireMethod(req, 'GET')
      return pipelines.model(exchange('/v1/models/{model}'))
    }
    // Other methods on a pinned path pass through (OpenAI lists stored completions with GET /v1/chat/completions).
    const pinned = req.method === 'POST' ? PINNED.exec(path) : null
    if (pinned) {
      const x = exchange('/llm/{llm}')
      x.pinnedLlm = pinned[1]
      return (pinned[2] === 'embeddings' ? pipelines.embeddings : pipelines.chat)(x)
    }
    const passThrough = PASS_THROUGH.exec(path)
    if (passThrough) {
      const x = exchange('/llm/{llm}/*')
      x.pinnedLlm = passThrough[1]
      x.upstreamPath = passThrough[2]!
      return pipelines.passThrough(x)
    }
    const pluginRoute = PLUGIN_ROUTE.exec(path)
    if (pluginRoute) {
      const slug = pluginRoute[1]!
      const endpoint = findEndpoint(state.chains.endpoints.get(slug), slug, req.method ?? 'GET', pluginRoute[2] ?? '/')
      const x = exchange('/plugins/{plugin}')
      x.endpoint = endpoint
      return (endpoint.spec.authRequired ? pipelines.pluginEndpoint : pipelines.publicPluginEndpoint)(x)
    }
    throw new GatewayError('ROUTE_NOT_FOUND', `no route for ${req.method} ${path}`)
  }
}
