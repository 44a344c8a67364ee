import type { IncomingMessage, ServerResponse } from 'node:http'
import type { pluginv1 as pb } from '@plugboard/proto'
import type { Logger } from 'pino'
import { requireLlmAllowed, type ApiKeyAuthenticator } from './api-keys.js'
import { authenticate } from './authenticate.js'
import { budgetPeriod, type BudgetStore } from './budget.js'
import type { DataCollectorQueue } from './collector.js'
import { llmBySlug, type GatewayConfig, type LlmConfig } from './config.js'
import { GatewayError, errorResponse } from './errors.js'
import type { GatewayChains } from './gateway-plugins.js'
import { hookRequest, parseJsonObject, readBody, requireJsonContentType, sendBytes, sendError, startStream } from './http-io.js'
import type { GatewayMetrics } from './metrics.js'
import { sseData } from './sse.js'
import { StreamUsage, costOf, estimatePromptTokens, usageOfBody, type TokenUsage } from './usage.js'
import type { Vendor, VendorResponse } from './vendors/vendor.js'

export type ProxyKind = 'chat' | 'embeddings'

/** Chunks of one stream in flight through the response-chunk hooks at most. */
const CHUNK_WINDOW = 64

/** Everything the proxy needs, swapped as a whole when the config reloads. */
export interface ProxyState {
  config: GatewayConfig
  chains: GatewayChains
  keys: ApiKeyAuthenticator
  vendors: Record<LlmConfig['vendor'], Vendor>
}

export interface ProxyRequest {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  requestId: string
  log: Logger
  /** Aborts when the client disconnects. */
  signal: AbortSignal
  route: string
}

interface Outcome {
  /** Set once the request is authenticated and routed: from then on it is reported off the request path. */
  context?: pb.RequestContext
  status: number
  llm: string
  app: string
  userId: string
  model: string
  usage?: TokenUsage
  streaming: boolean
  aborted: boolean
  requestBody: Buffer
  responseBody: Buffer
}

/**
 * The pipeline of one LLM call: pre-auth → auth → post-auth → budget →
 * vendor → response headers → body or each SSE chunk → client; then, off the
 * request path, stream-complete and data collection.
 */
export class LlmProxy {
  constructor(
    private readonly state: () => ProxyState,
    private readonly budgets: BudgetStore,
    private readonly collector: DataCollectorQueue,
    private readonly metrics: GatewayMetrics,
  ) {}

  async handle(call: ProxyRequest, kind: ProxyKind, forcedLlm?: string): Promise<void> {
    const started = performance.now()
    const state = this.state()
    const outcome: Outcome = { status: 0, llm: '', app: '', userId: '', model: '', streaming: false, aborted: false, requestBody: Buffer.alloc(0), responseBody: Buffer.alloc(0) }
    try {
      await this.#run(call, kind, state, outcome, forcedLlm)
    } catch (error) {
      if (call.signal.aborted) {
        outcome.aborted = true
        outcome.status = outcome.status || 499
      } else {
        outcome.status = sendError(call.res, error, call.requestId, call.log)
      }
    } finally {
      const seconds = (performance.now() - started) / 1000
      this.metrics.requestAnswered(call.route, outcome.status, outcome.llm, outcome.app, seconds)
      call.log.info({ status: outcome.status, llm: outcome.llm, app: outcome.app, ms: Math.round(seconds * 1000), aborted: outcome.aborted }, 'request completed')
      if (outcome.context) this.#afterResponse(state, outcome.context, call.url.pathname, outcome, seconds * 1000)
    }
  }

  async #run(call: ProxyRequest, kind: ProxyKind, state: ProxyState, outcome: Outcome, forcedLlm?: string): Promise<void> {
    const { chains, config } = state
    const body = await readBody(call.req, config.server.maxBodyBytes)
    let request = hookRequest(call.req, call.url, body)

    const pre = await chains.preAuth.runPreAuth(call.requestId, request, call.signal)
    if (pre.kind === 'block') return this.#blocked(call, pre, outcome)
    request = pre.request

    const identity = await authenticate(state, call.requestId, request, call.signal)
    outcome.app = identity.app.id
    outcome.userId = identity.user?.id ?? ''

    requireJsonContentType(request.headers)
    let parsed = parseJsonObject(request.body)
    if (typeof parsed.model !== 'string' || !parsed.model) throw new GatewayError('INVALID_REQUEST', 'request body needs a "model" string')
    const llm = this.#route(config, parsed.model, forcedLlm)
    outcome.llm = llm.slug
    outcome.model = parsed.model
    requireLlmAllowed(identity.app, llm.slug)
    const limit = identity.app.monthlyBudget
    const spent = this.budgets.spent(identity.app.id, budgetPeriod())
    if (limit > 0 && spent >= limit) {
      throw new GatewayError('BUDGET_EXCEEDED', `app "${identity.app.name}" has spent its monthly budget of $${limit}`)
    }
    const streaming = kind === 'chat' && parsed.stream === true
    outcome.streaming = streaming
    const context: pb.RequestContext = {
      requestId: call.requestId,
      app: identity.app,
      user: identity.user,
      llm: llm.slug,
      model: parsed.model,
      budget: { limit, spent, remaining: limit > 0 ? Math.max(0, limit - spent) : 0 },
      streaming,
      metadata: pre.metadata,
    }
    outcome.context = context

    const post = await chains.postAuth.runPostAuth(request, context, call.signal)
    if (post.kind === 'block') return this.#blocked(call, post, outcome)
    context.metadata = post.metadata
    if (post.request.body !== request.body) {
      parsed = parseJsonObject(post.request.body)
      if (typeof parsed.model !== 'string' || !parsed.model) throw new GatewayError('INVALID_REQUEST', 'a post-auth plugin left the request without a "model" string')
    }
    request = post.request
    outcome.requestBody = request.body

    const vendor = state.vendors[llm.vendor]
    const vendorCall = {
      llm,
      model: parsed.model as string,
      body: parsed,
      rawBody: request.body,
      signal: call.signal,
      requestId: call.requestId,
      timeoutMs: config.server.upstreamTimeoutMs,
      limits: config.server,
    }
    const response = kind === 'chat' ? await vendor.chat(vendorCall) : await vendor.embeddings(vendorCall)
    const accounting = state.config.pricing[context.model] !== undefined || chains.dataCollection.length > 0
    const promptTokens = () => estimatePromptTokens(parsed)
    await this.#respond(call, chains, context, response, outcome, accounting ? promptTokens : undefined)
  }

  #route(config: GatewayConfig, model: string, forcedLlm?: string): LlmConfig {
    if (forcedLlm) return llmBySlug(config, forcedLlm)
    const llm = config.llms.find((candidate) => candidate.models.includes(model))
    if (!llm) throw new GatewayError('MODEL_NOT_FOUND', `model "${model}" is not served here; GET /v1/models lists the models you can use`)
    return llm
  }

  /** `promptTokens` is given when usage must be counted (a priced model, or data collection). */
  async #respond(
    call: ProxyRequest,
    chains: GatewayChains,
    context: pb.RequestContext,
    response: VendorResponse,
    outcome: Outcome,
    promptTokens: (() => number) | undefined,
  ) {
    const head = await chains.responseHeaders.runResponseHeaders({ context, status: response.status, headers: response.headers }, call.signal)
    outcome.status = head.status
    const headers = { ...head.headers, 'x-request-id': call.requestId }
    if (response.kind === 'json') {
      const body = await chains.responseBody.runResponseBody({ context, status: head.status, headers, body: response.body }, call.signal)
      sendBytes(call.res, head.status, headers, body)
      outcome.responseBody = body
      if (promptTokens) outcome.usage = usageOfBody(response.body)
      return
    }
    startStream(call.res, head.status, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    const usage = promptTokens && new StreamUsage(promptTokens)
    const keep = chains.streamComplete.length > 0 || chains.dataCollection.length > 0
    const sent: Buffer[] = []
    // Events that come together (one upstream read, one frame of hook results) leave in one write:
    // the socket is corked until the microtasks that deliver them have run.
    let corked = false
    const uncork = () => {
      corked = false
      call.res.uncork()
    }
    const send = (data: Buffer) => {
      if (data.length === 0) return
      if (keep) sent.push(data)
      usage?.push(data)
      if (!corked) {
        corked = true
        call.res.cork()
        process.nextTick(uncork)
      }
      call.res.write(data)
    }
    try {
      if (chains.responseChunks.size === 0) {
        for await (const event of response.events) send(event)
      } else {
        await this.#pipeChunks(chains, context, response.events, send, call.signal)
      }
    } catch (error) {
      if (call.signal.aborted) throw error
      const { body } = errorResponse(error, call.requestId)
      call.log.warn({ err: String(error) }, 'stream failed after the response started')
      send(Buffer.from(sseData(JSON.stringify(body))))
    } finally {
      outcome.responseBody = Buffer.concat(sent)
      outcome.usage = usage?.usage
      if (!call.res.writableEnded) call.res.end()
    }
  }

  /**
   * Sends each upstream event through the response-chunk hooks without
   * waiting for the previous event's answer (at most CHUNK_WINDOW in flight),
   * and writes each answer as it comes: they resolve in push order.
   */
  async #pipeChunks(chains: GatewayChains, context: pb.RequestContext, events: AsyncIterable<Buffer>, send: (data: Buffer) => void, signal: AbortSignal) {
    const chunks = chains.responseChunks.chunkStream(context, signal)
    // The first failure stops the writing and the reading upstream; it is rethrown below.
    let failure: { error: unknown } | undefined
    let inFlight = 0
    const write = (data: Buffer) => {
      inFlight--
      if (!failure) send(data)
    }
    const fail = (error: unknown) => {
      inFlight--
      failure ??= { error }
    }
    const rethrow = () => {
      if (failure) throw failure.error
    }
    let last: Promise<void> = Promise.resolve()
    try {
      for await (const event of events) {
        if (failure) break
        last = chunks.push(event).then(write, fail)
        if (++inFlight >= CHUNK_WINDOW) await last
      }
      rethrow()
      // The end goes right behind the last chunks (often in their frame), not a round trip after their answers.
      const ending = chunks.end()
      // When a chunk before it fails, that failure is the one reported.
      ending.catch(() => undefined)
      await last
      rethrow()
      send(await ending)
    } catch (error) {
      // The stream broke off (client gone, upstream or a fail-closed hook failed): the answers still
      // pending are moot, and the plugins are told so they can drop what they keep for the stream.
      chunks.abort()
      throw error
    }
  }

  #blocked(call: ProxyRequest, block: { plugin: string; status: number; headers: Record<string, string>; body: Buffer }, outcome: Outcome): void {
    outcome.status = block.status
    outcome.responseBody = block.body
    call.log.info({ plugin: block.plugin, status: block.status }, 'request blocked by plugin')
    sendBytes(call.res, block.status, { ...block.headers, 'x-request-id': call.requestId, 'x-plugboard-blocked-by': block.plugin }, block.body)
  }

  /** Off the request path: stream-complete hooks, budget, analytics and the proxy log. */
  #afterResponse(state: ProxyState, context: pb.RequestContext, path: string, outcome: Outcome, latencyMs: number): void {
    const { chains } = state
    const usage = outcome.usage
    const cost = usage ? costOf(usage, state.config.pricing[outcome.model]) : 0
    if (cost === 0 && chains.dataCollection.length === 0 && chains.streamComplete.length === 0) return
    const pbUsage = usage && { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, totalTokens: usage.totalTokens }
    if (outcome.status > 0) {
      const event = { context, status: outcome.status, body: outcome.responseBody, usage: pbUsage, aborted: outcome.aborted }
      for (const plugin of chains.streamComplete) plugin.rpc('streamComplete', event, { deadlineMs: 10_000 }).catch(() => undefined)
    }
    const period = budgetPeriod()
    const spent = cost > 0 ? this.budgets.add(outcome.app, period, cost) : this.budgets.spent(outcome.app, period)
    if (chains.dataCollection.length === 0) return
    const { requestId } = context
    const { app: appId, userId, llm, model, status, streaming } = outcome
    const timestampMs = Date.now()
    const latency = Math.round(latencyMs)
    this.collector.add('analytics', { requestId, timestampMs, appId, userId, llm, model, usage: pbUsage, cost, latencyMs: latency, status, streaming })
    this.collector.add('proxyLogs', {
      requestId,
      timestampMs,
      appId,
      userId,
      llm,
      model,
      method: 'POST',
      path,
      status,
      latencyMs: latency,
      requestBody: outcome.requestBody,
      responseBody: outcome.responseBody,
    })
    if (cost > 0) this.collector.add('budgetUsage', { appId, period, cost, spent, limit: context.app?.monthlyBudget ?? 0 })
  }
}
