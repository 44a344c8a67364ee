import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { watch, type FSWatcher } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PluginHost } from '@plugboard/host'
import type { Logger } from 'pino'
import { ApiKeyAuthenticator, mayUseLlm } from './api-keys.js'
import { authenticate } from './authenticate.js'
import { MemoryBudgetStore, type BudgetStore } from './budget.js'
import { DataCollectorQueue } from './collector.js'
import { loadConfig, type GatewayConfig } from './config.js'
import { GatewayError } from './errors.js'
import { loadGatewayPlugins } from './gateway-plugins.js'
import { hookRequest, sendError, sendJson } from './http-io.js'
import { GatewayMetrics } from './metrics.js'
import { passThrough } from './passthrough.js'
import { servePluginEndpoint } from './plugin-endpoints.js'
import { SERVICE_INDEX } from './service-index.js'
import { LlmProxy, type ProxyKind, type ProxyState } from './proxy.js'
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

const VENDORS = { mock: mockVendor, openai: openAiVendor, anthropic: anthropicVendor }
const REQUEST_ID = /^[\w.-]{1,128}$/

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
  readonly #proxy: LlmProxy
  readonly #collector: DataCollectorQueue
  #state!: LiveState
  #watcher: FSWatcher | undefined
  #closing = false
  /** Requests being handled, whichever config state they started on. */
  #inFlight = 0

  private constructor(private readonly options: GatewayOptions) {
    this.#collector = new DataCollectorQueue(() => this.#state.chains.dataCollection, options.config.collector, this.metrics, options.logger)
    this.#proxy = new LlmProxy(() => this.#state, options.budgets ?? new MemoryBudgetStore(), this.#collector, this.metrics)
    this.#server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void this.#handle(req, res))
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
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    // Once no request is in flight, every connection left is a client's idle keep-alive, even one
    // Node does not count as idle (a client that cancelled a response body, as MCP clients do with
    // a 202), which would hold close() until its keep-alive timeout: a second to finish, then closed.
    while (this.#inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    this.#server.closeIdleConnections()
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())])
    this.#server.closeAllConnections()
    await closed
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
    this.#inFlight++
    try {
      const url = new URL(req.url ?? '/', 'http://gateway')
      await this.#route(req, res, url, requestId, log, controller.signal)
    } catch (error) {
      sendError(res, error, requestId, log)
    } finally {
      state.inFlight--
      this.#inFlight--
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, log: Logger, signal: AbortSignal): Promise<void> {
    const path = url.pathname
    const proxy = (route: string, kind: ProxyKind, llm?: string) => this.#proxy.handle({ req, res, url, requestId, log, signal, route }, kind, llm)
    if (req.method === 'GET' && path === '/') return sendJson(res, 200, SERVICE_INDEX)
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' })
    if (req.method === 'GET' && path === '/ready') {
      const failed = this.#state.host.list().filter((plugin) => plugin.state === 'failed').map((plugin) => plugin.name)
      return sendJson(res, this.#closing ? 503 : 200, { status: this.#closing ? 'closing' : 'ready', failedPlugins: failed })
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType })
      return void res.end(await this.metrics.registry.metrics())
    }
    if (req.method === 'GET' && path === '/v1/models') return this.#models(req, res, url, requestId, signal)
    if (req.method === 'POST' && path === '/v1/chat/completions') return proxy('/v1/chat/completions', 'chat')
    if (req.method === 'POST' && path === '/v1/embeddings') return proxy('/v1/embeddings', 'embeddings')
    const pinned = /^\/llm\/([a-z0-9-]+)\/(?:v1\/)?(chat\/completions|embeddings)$/.exec(path)
    if (req.method === 'POST' && pinned) return proxy('/llm/{llm}', pinned[2] === 'embeddings' ? 'embeddings' : 'chat', pinned[1])
    const rawPassThrough = /^\/llm\/([a-z0-9-]+)(\/.+)$/.exec(path)
    if (rawPassThrough) return passThrough({ req, res, url, requestId, signal }, this.#state, rawPassThrough[1]!, rawPassThrough[2]!)
    const pluginRoute = /^\/plugins\/([a-z0-9-]+)(\/.*)?$/.exec(path)
    if (pluginRoute) {
      await servePluginEndpoint({ req, res, url, requestId, signal }, this.#state, pluginRoute[1]!, pluginRoute[2] ?? '/')
      return
    }
    throw new GatewayError('ROUTE_NOT_FOUND', `no route for ${req.method} ${path}`)
  }

  async #models(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, signal: AbortSignal): Promise<void> {
    const state = this.#state
    const { app } = await authenticate(state, requestId, hookRequest(req, url, Buffer.alloc(0)), signal)
    const data = state.config.llms
      .filter((llm) => mayUseLlm(app, llm.slug))
      .flatMap((llm) => llm.models.map((id) => ({ id, object: 'model', created: 0, owned_by: llm.slug })))
    sendJson(res, 200, { object: 'list', data }, { 'x-request-id': requestId })
  }
}
