import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { watch, type FSWatcher } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PluginHost } from '@plugboard/host'
import type { Logger } from 'pino'
import { ApiKeyAuthenticator } from './api-keys.js'
import { MemoryBudgetStore, type BudgetStore } from './budget.js'
import { answerClientError, answerExpectationFailed } from './client-errors.js'
import { DataCollectorQueue } from './collector.js'
import { loadConfig, type GatewayConfig, type ServerConfig } from './config.js'
import { GatewayError } from './errors.js'
import { loadGatewayPlugins } from './gateway-plugins.js'
import { sendError, sendJson } from './http-io.js'
import { GatewayMetrics } from './metrics.js'
import { Exchange, type PipelineServices } from './pipeline/exchange.js'
import { findEndpoint } from './plugin-endpoints.js'
import { pipelines, type ProxyState } from './proxy.js'
import { anthropicVendor } from './vendors/anthropic.js'
import { mockVendor } from './vendors/mock.js'
import { openAiVendor } from './vendors/openai.js'

export interface GatewayOptions {
  config: GatewayConfig
  logger: Logger
  /** Watch this file and reload the config when it changes. */
  configPath?: string
  budgets?: BudgetStore
}

interface LiveState extends ProxyState {
  host: PluginHost
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

const VENDORS = { mock: mockVendor, openai: openAiVendor, anthropic: anthropicVendor }
const REQUEST_ID = /^[\w.-]{1,128}$/
/** Stream-complete calls in flight at most; more are skipped and counted. */
const MAX_STREAM_COMPLETE_IN_FLIGHT = 256
/** The most of a response kept for stream-complete and data collection. */
const MAX_KEPT_RESPONSE_BYTES = 1024 * 1024
const PINNED = /^\/llm\/([a-z0-9-]+)\/(?:v1\/)?(chat\/completions|embeddings)$/
const PASS_THROUGH = /^\/llm\/([a-z0-9-]+)(\/.+)$/
const PLUGIN_ROUTE = /^\/plugins\/([a-z0-9-]+)(\/.*)?$/

/** METHOD_NOT_ALLOWED unless the request's method is the one the path takes (a GET path takes HEAD too: Node sends no body). */
function requireMethod(req: IncomingMessage, method: 'GET' | 'POST'): void {
  if (req.method === method || (method === 'GET' && req.method === 'HEAD')) return
  const allow = method === 'GET' ? 'GET, HEAD' : method
  throw new GatewayError('METHOD_NOT_ALLOWED', `${req.url} takes ${allow}, not ${req.method}`, undefined, { headers: { allow } })
}

/**
 * The gateway: an OpenAI-compatible HTTP server whose requests flow through
 * the configured plugins' hooks. Stateless apart from its config, so many can
 * run behind a load balancer.
 *
 * @example
 * const gateway = await Gateway.start({ config: await loadConfig('gateway.yaml'), logger: pino() })
 * console.log(gateway.url) // http://127.0.0.1:8080
 */
export class Gateway {
  readonly metrics = new GatewayMetrics()
  readonly #server: Server
  readonly #services: PipelineServices
  readonly #collector: DataCollectorQueue
  #state!: LiveState
  #watcher: FSWatcher | undefined
  #closing = false

  private constructor(private readonly options: GatewayOptions) {
    this.#collector = new DataCollectorQueue(() => this.#state.chains.dataCollection, options.config.collector, this.metrics, options.logger)
    this.#services = {
      budgets: options.budgets ?? new MemoryBudgetStore(),
      collector: this.#collector,
      metrics: this.metrics,
      streamComplete: { inFlight: 0, max: MAX_STREAM_COMPLETE_IN_FLIGHT },
      maxKeptResponseBytes: MAX_KEPT_RESPONSE_BYTES,
    }
    this.#server = createServer(serverOptions(options.config.server), (req, res) => void this.#handle(req, res))
    this.#server.maxConnections = options.config.server.maxConnections
    // Errors of Node's HTTP parser and unmet expectations get the same JSON error body as every other error.
    this.#server.on('clientError', answerClientError)
    this.#server.on('checkExpectation', answerExpectationFailed)
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    const gateway = new Gateway(options)
    gateway.#state = await gateway.#buildState(options.config)
    const { host, port } = options.config.server
    await new Promise<void>((resolve, reject) => {
      gateway.#server.once('error', reject)
      gateway.#server.listen(port, host, () => resolve())
    })
    if (options.configPath) gateway.#watch(options.configPath)
    options.logger.info({ url: gateway.url, plugins: options.config.plugins.map((p) => p.name) }, 'gateway listening')
    return gateway
  }

  get url(): string {
    const address = this.#server.address() as AddressInfo
    return `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`
  }

  /** Applies a new config: new requests use it at once; plugins of the old one stop when their requests are done. */
  async reload(config: GatewayConfig): Promise<void> {
    const previous = this.#state
    this.#state = await this.#buildState(config)
    this.options.logger.info({ plugins: config.plugins.map((p) => p.name) }, 'config reloaded')
    void this.#retire(previous)
  }

  /** Stops accepting requests, lets in-flight ones finish, flushes data collection and stops plugins. Idempotent. */
  async close(): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    this.#watcher?.close()
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve())
      this.#server.closeIdleConnections()
    })
    await this.#collector.flush()
    await this.#state.host.shutdown()
  }

  async #buildState(config: GatewayConfig): Promise<LiveState> {
    const { host, chains } = await loadGatewayPlugins({ plugins: config.plugins, logger: this.options.logger, metrics: this.metrics })
    return { config, chains, host, keys: new ApiKeyAuthenticator(config.apps), vendors: VENDORS, inFlight: 0 }
  }

  async #retire(state: LiveState): Promise<void> {
    const deadline = Date.now() + 60_000
    while (state.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    await state.host.shutdown()
  }

  #watch(path: string): void {
    let timer: NodeJS.Timeout | undefined
    this.#watcher = watch(path, () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        loadConfig(path)
          .then((config) => this.reload(config))
          .catch((error: unknown) => this.options.logger.error({ err: String(error) }, 'config reload failed; keeping the running config'))
      }, 200)
    })
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
    try {
      await this.#route(req, res, requestId, log, controller.signal, state)
    } catch (error) {
      sendError(res, error, requestId, log)
    } finally {
      state.inFlight--
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
      case '/health':
        requireMethod(req, 'GET')
        return sendJson(res, 200, { status: 'ok' })
      case '/ready': {
        requireMethod(req, 'GET')
        const failed = state.host.list().filter((plugin) => plugin.state === 'failed').map((plugin) => plugin.name)
        return sendJson(res, this.#closing ? 503 : 200, { status: this.#closing ? 'closing' : 'ready', failedPlugins: failed })
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
