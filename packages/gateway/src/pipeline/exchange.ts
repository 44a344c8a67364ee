import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ManagedPlugin } from '@plugboard/host'
import type { pluginv1 as pb } from '@plugboard/proto'
import type { Logger } from 'pino'
import type { BudgetReservation, BudgetStore } from '../budget.js'
import type { DataCollectorQueue } from '../collector.js'
import type { BudgetLimit, LlmConfig } from '../config.js'
import type { GatewayChains } from '../gateway-plugins.js'
import type { GatewayMetrics } from '../metrics.js'
import type { ProxyState } from '../proxy.js'
import type { RequestApi, RequestLog } from '../request-log.js'
import { estimatePromptTokens, type TokenUsage } from '../usage.js'
import type { Dialect, DialectAnswer } from '../dialects/dialect.js'
import type { NativeVendorResponse, VendorResponse } from '../vendors/vendor.js'

/** What the stages share across requests: made once per gateway. */
export interface PipelineServices {
  budgets: BudgetStore
  /** The time in epoch ms: budget periods and key expiry go by it. */
  now: () => number
  collector: DataCollectorQueue
  metrics: GatewayMetrics
  /** Stream-complete calls in flight now, and the most allowed (more are skipped and counted). */
  streamComplete: { inFlight: number; max: number }
  /** The most bytes of a response kept for stream-complete and data collection; the rest is cut and marked. */
  maxKeptResponseBytes: number
  /** Gets each LLM request's record (GatewayOptions.requestLog, guarded). */
  requestLog: RequestLog | undefined
}

/** A raw upstream answer relayed as it streams (the pass-through). */
export interface RawResponse {
  kind: 'raw'
  status: number
  headers: Record<string, string>
  body: AsyncIterable<Uint8Array>
  /**
   * The body split into its SSE events, when it is an event stream and
   * response-chunk hooks are bound: each event goes through them. Its usage is
   * not read (each API streams its own format), so the request is charged
   * what it reserved.
   */
  events?: AsyncIterable<Buffer>
}

/** A plugin's custom endpoint a request was routed to. */
export interface EndpointTarget {
  plugin: ManagedPlugin
  spec: pb.EndpointSpec
  params: Record<string, string>
}

/**
 * One request on its way through the pipeline: what it was given and what
 * each stage found out. Stages communicate only through it; a field a stage
 * fills is documented with the stage that fills it.
 */
export class Exchange {
  readonly started = performance.now()
  /** Epoch ms, for records. */
  readonly receivedAt = Date.now()
  /** The request as hooks see it (receive; pre-auth and post-auth may change it). */
  request!: pb.HttpRequest
  /** Metadata added by pre-auth plugins, then post-auth plugins. */
  metadata: Record<string, string> = {}
  /** The caller (authenticate). */
  app?: pb.App
  user?: pb.User
  /** The API the client speaks on an LLM route, which its request is logged and reported under (set by the pipeline); none on the others. */
  api?: RequestApi
  /** The LLM and model the request goes to (the route's request stage); '' when none. */
  llm?: LlmConfig
  model = ''
  /**
   * The API the client speaks when it is not chat completions (set by the
   * router): errors take its shape, and the request stage translates its
   * body to the canonical form hooks see and sets `answer`, which the respond
   * stage translates the canonical answer back with.
   */
  dialect?: Dialect
  answer?: DialectAnswer
  /** The client's body in its API and the canonical request it was translated to (the request stage): the vendor stage sends the former when the hooks left the latter as it was and the LLM speaks the API natively. */
  clientBody?: Record<string, unknown>
  translatedBody?: Buffer
  /** The OpenAI-format JSON body, when the route reads one, and the bytes it was parsed from. */
  body?: Record<string, unknown>
  parsedFrom?: Buffer
  streaming = false
  /** Completion tokens the request may use at most (the route's request stage): what the budget reserves for. */
  maxCompletionTokens = 0
  /** How the body's prompt tokens are estimated (the route's request stage: the pass-through counts all of its body). */
  estimatePrompt: (body: Record<string, unknown>) => number = estimatePromptTokens
  /** What plugins after auth see (request context stage). */
  context?: pb.RequestContext
  /** Budget (reserve): a reservation per limit that applies; settled with `cost`, each limit's new spending in `settled`. */
  reservations: BudgetReservation[] = []
  cost = 0
  settled: Array<{ limit: BudgetLimit; period: string; spent: number }> = []
  /** The upstream's answer (vendor or pass-through stage), relayed by the respond stage; a native one when the upstream answered in the client's API. */
  response?: VendorResponse | NativeVendorResponse | RawResponse
  /** The status sent to the client; 0 until one is. */
  status = 0
  usage?: TokenUsage
  /** The gateway error code the client got, in the answer or as the last event of a stream (observe, respond). */
  errorCode: string | null = null
  /** The client went away before the response ended (observe). */
  aborted = false
  /** From receipt to the end of the response (observe). */
  latencyMs = 0
  /** What was relayed, for stream-complete and data collection: at most maxKeptResponseBytes, `truncated` past it. */
  responseBody: Buffer = EMPTY
  truncated = false
  /** The custom endpoint a plugin route serves (set by the router). */
  endpoint?: EndpointTarget
  /** The LLM a `/llm/{slug}/…` route is pinned to, and a pass-through's path below the slug (set by the router). */
  pinnedLlm?: string
  upstreamPath = ''
  #promptTokens = 0
  #promptTokensOf?: Record<string, unknown>
  #chains?: GatewayChains

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly url: URL,
    readonly requestId: string,
    readonly log: Logger,
    /** Aborts when the client disconnects. */
    readonly signal: AbortSignal,
    /** The route's label in metrics. */
    readonly route: string,
    /** The configuration this request runs under, from start to end (reloads apply to later requests). */
    readonly state: ProxyState,
    readonly services: PipelineServices,
  ) {}

  /**
   * The chains this request runs through: every plugin until the caller is
   * known, then only those bound globally or to its app and LLM (request context stage).
   */
  get chains(): GatewayChains {
    return this.#chains ?? this.state.chains
  }

  /** Narrows the chains to the plugins bound to the request's app and LLM (see `GatewayChains.scoped`). */
  scopeChains(): void {
    this.#chains = this.state.chains.scoped(this.app?.id ?? '', this.llm?.slug ?? '')
  }

  /** Sets where the request goes; the request context, once built, follows (a post-auth plugin may have changed the model). */
  routeTo(llm: LlmConfig | undefined, model: string, streaming: boolean): void {
    this.llm = llm
    this.model = model
    this.streaming = streaming
    if (this.context) Object.assign(this.context, { llm: llm?.slug ?? '', model, streaming })
  }

  /** Estimated prompt tokens of the body, counted once per body (the budget and usage both ask). */
  promptTokens(): number {
    if (!this.body) return 0
    if (this.#promptTokensOf !== this.body) {
      this.#promptTokensOf = this.body
      this.#promptTokens = this.estimatePrompt(this.body)
    }
    return this.#promptTokens
  }
}

const EMPTY = Buffer.alloc(0)

/**
 * One step of the pipeline: does its part, then calls `next` to run the rest
 * (or answers and returns without it). Code after `await next()` runs once
 * the rest is done, even when it failed — where a stage settles what it began.
 */
export type Stage = (x: Exchange, next: () => Promise<void>) => Promise<void>
