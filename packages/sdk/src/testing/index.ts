/**
 * @plugboard/sdk/testing: run a plugin in-process against an in-memory host,
 * so hooks can be unit-tested without spawning anything. Calls go through the
 * same handlers and protobuf encoding as in a real host, and Service API calls
 * are checked against the scopes you grant, as the host checks them.
 *
 * @example
 * const host = await createTestHost(new IpAllowList(), { config: { allow: ['10.0.0.0/8'] } })
 * const result = await host.preAuth({ request: { clientIp: '192.168.1.5' } })
 * expect(result).toMatchObject({ action: 'block', status: 403 })
 */
import {
  MemoryEventBus,
  MemoryKvStore,
  authorizeServiceCall,
  createCoreServiceHandlers,
  pluginv1 as pb,
  unavailableControlPlane,
  type EventRelay,
  type PluginLogLevel,
  type servicev1,
  type Scope,
  type ServiceApiHandlers,
  type ServiceCaller,
} from '@plugboard/proto'
import type { PluginContext } from '../context.js'
import { parseJson } from '../convert.js'
import { createPluginHandlers, type CallInfo } from '../handlers.js'
import { createLineLogger, type Logger } from '../logger.js'
import type { BasePlugin } from '../plugin.js'
import { createServices, type ServiceApiTransport } from '../services.js'
import type {
  App,
  DataBatch,
  Headers,
  HttpRequest,
  JsonValue,
  ObjectHookEvent,
  RequestContext,
  Runtime,
  StreamCompleteEvent,
} from '../types.js'

export interface TestHostOptions {
  runtime?: Runtime
  config?: JsonValue
  /** Scopes granted to the plugin; Service API calls outside them reject with SCOPE_DENIED. */
  scopes?: Scope[]
  /** Topic patterns granted to the plugin (none by default); Publish and Subscribe outside them reject with TOPIC_DENIED. */
  topics?: { publish?: string[]; subscribe?: string[] }
  pluginName?: string
  /** Fakes for control-plane methods (llms, apps, …), which otherwise reject with SERVICE_UNAVAILABLE. */
  services?: Partial<ServiceApiHandlers>
  /** Where plugin logs go; by default they are kept in `host.logs`. */
  logger?: Logger
}

/** A request result as the host receives it. */
export type ReceivedRequestResult =
  | { action: 'pass' }
  | { action: 'modify'; setHeaders: Headers; removeHeaders: string[]; body?: Buffer; metadata: Record<string, string> }
  | { action: 'block'; status: number; headers: Headers; body: Buffer; json(): JsonValue }

export type ReceivedAuthResult =
  | { action: 'pass' }
  | { action: 'authenticate'; app?: App; user?: pb.User }
  | { action: 'reject'; status: number; code: string; message: string }

export interface LoggedEntry {
  level: PluginLogLevel
  message: string
  fields: Record<string, unknown>
}

const roundTrip = <T>(codec: { encode(message: T): { finish(): Uint8Array }; decode(bytes: Uint8Array): T }, message: T): T =>
  codec.decode(codec.encode(message).finish())

function httpRequest(partial: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    query: '',
    clientIp: '127.0.0.1',
    ...partial,
    headers: Object.fromEntries(Object.entries(partial.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    body: partial.body ?? Buffer.alloc(0),
  }
}

function requestContext(partial: Partial<RequestContext> = {}): RequestContext {
  return { requestId: 'test-request', llm: 'mock', model: 'mock-gpt', streaming: false, metadata: {}, api: 'chat.completions', ...partial }
}

function receivedRequestResult(result: pb.RequestHookResult): ReceivedRequestResult {
  const r = result.result
  if (!r || r.$case === 'pass') return { action: 'pass' }
  if (r.$case === 'modify') {
    const { setHeaders, removeHeaders, body, metadata } = r.value
    return { action: 'modify', setHeaders, removeHeaders, body: body?.data, metadata }
  }
  const { status, headers, body } = r.value
  return { action: 'block', status, headers, body, json: () => parseJson(body) }
}

function receivedAuthResult(result: pb.AuthResult): ReceivedAuthResult {
  const r = result.result
  if (!r || r.$case === 'pass') return { action: 'pass' }
  if (r.$case === 'authenticated') return { action: 'authenticate', app: r.value.app, user: r.value.user }
  return { action: 'reject', ...r.value }
}

/** Drives one plugin in-process; see the module docs for an example. */
export async function createTestHost(plugin: BasePlugin, options: TestHostOptions = {}) {
  const kvStore = new MemoryKvStore()
  const bus = new MemoryEventBus()
  const logs: LoggedEntry[] = []
  const pluginName = options.pluginName ?? plugin.manifest.id
  const caller: ServiceCaller = {
    plugin: pluginName,
    scopes: new Set(options.scopes ?? []),
    topics: { publish: options.topics?.publish ?? [], subscribe: options.topics?.subscribe ?? [] },
  }
  const relayed: servicev1.Event[] = []
  const relay: EventRelay = { up: async (event) => void relayed.push(event), down: async (event) => void relayed.push(event) }
  const edgePayloads: Array<{ kind: string; payload: Buffer }> = []
  const handlers: ServiceApiHandlers = {
    ...unavailableControlPlane('test'),
    ...createCoreServiceHandlers({
      kv: kvStore,
      events: bus,
      log: ({ level, message, fields }) => logs.push({ level, message, fields }),
      routing: { runtime: options.runtime ?? 'gateway', relay, instanceId: 'test-gateway' },
      edgePayloads: async (_from, kind, payload) => void edgePayloads.push({ kind, payload }),
    }),
    ...options.services,
  }
  const closing = new AbortController()
  const transport: ServiceApiTransport = {
    async call(method, request, signal) {
      authorizeServiceCall(method, caller)
      const handler = handlers[method] as (request: unknown, caller: ServiceCaller, signal: AbortSignal) => Promise<never>
      return handler(request, caller, signal ?? closing.signal)
    },
    stream(method, request, signal) {
      authorizeServiceCall(method, caller)
      const handler = handlers[method] as (request: unknown, caller: ServiceCaller, signal: AbortSignal) => AsyncIterable<never>
      return handler(request, caller, AbortSignal.any([signal, closing.signal]))
    },
  }
  const log =
    options.logger ??
    createLineLogger((line) => {
      const { level, msg, time: _time, ...fields } = JSON.parse(line) as { level: number; msg: string; time: number }
      logs.push({ level: level >= 50 ? 'error' : level >= 40 ? 'warn' : level >= 30 ? 'info' : 'debug', message: msg, fields })
    })
  const context: PluginContext = {
    runtime: options.runtime ?? 'gateway',
    config: options.config ?? null,
    pluginName,
    services: createServices(transport, log),
    log,
  }
  const pluginHandlers = createPluginHandlers(plugin, () => context)
  await plugin.initialize?.(context)

  const call = (requestId: string, signal?: AbortSignal): CallInfo => ({ requestId, signal: signal ?? closing.signal })

  return {
    /** What the plugin declares to a host at Initialize. */
    describe: () => pluginHandlers.describe(),
    manifest: () => parseJson(pluginHandlers.manifest().json),
    context,
    /** Entries the plugin logged, through `ctx.log` or `ctx.services.log`. */
    logs,
    /** The plugin's KV namespace, for arranging and inspecting state. */
    kv: {
      get: (key: string) => kvStore.get(pluginName, key),
      set: (key: string, value: Buffer | string, ttlMs = 0) => kvStore.set(pluginName, key, Buffer.from(value), ttlMs),
    },
    /** Publishes an event to the plugin's subscriptions, or subscribes to what it publishes (LOCAL). */
    events: bus,
    /** Events the plugin published `up` (gateway) or `down` (Studio), which a real host would relay to the other runtime. */
    relayed,
    /** Edge payloads the plugin sent (gateway runtime). */
    edgePayloads,

    async preAuth(input: { requestId?: string; request?: Partial<HttpRequest> } = {}, signal?: AbortSignal) {
      const request = roundTrip(pb.PreAuthRequest, { requestId: input.requestId ?? 'test-request', request: httpRequest(input.request) })
      return receivedRequestResult(roundTrip(pb.RequestHookResult, await pluginHandlers.preAuth(request, call(request.requestId, signal))))
    },
    async authenticate(input: { credential: string; request?: Partial<HttpRequest> }, signal?: AbortSignal) {
      const request = roundTrip(pb.AuthRequest, { requestId: 'test-request', request: httpRequest(input.request), credential: input.credential })
      return receivedAuthResult(roundTrip(pb.AuthResult, await pluginHandlers.auth(request, call(request.requestId, signal))))
    },
    async getAppByCredential(credential: string) {
      return receivedAuthResult(roundTrip(pb.AuthResult, await pluginHandlers.appByCredential({ credential }, call(''))))
    },
    async getUserByCredential(credential: string) {
      return receivedAuthResult(roundTrip(pb.AuthResult, await pluginHandlers.userByCredential({ credential }, call(''))))
    },
    async postAuth(input: { request?: Partial<HttpRequest>; context?: Partial<RequestContext> } = {}, signal?: AbortSignal) {
      const request = roundTrip(pb.PostAuthRequest, { request: httpRequest(input.request), context: requestContext(input.context) })
      return receivedRequestResult(roundTrip(pb.RequestHookResult, await pluginHandlers.postAuth(request, call(request.context!.requestId, signal))))
    },
    async responseHeaders(input: { status?: number; headers?: Headers; context?: Partial<RequestContext> } = {}) {
      const request = { context: requestContext(input.context), status: input.status ?? 200, headers: input.headers ?? {} }
      return roundTrip(pb.ResponseHeadersResult, await pluginHandlers.responseHeaders(request, call(request.context.requestId)))
    },
    async responseBody(input: { body: Buffer | string; status?: number; headers?: Headers; context?: Partial<RequestContext> }) {
      const request = { context: requestContext(input.context), status: input.status ?? 200, headers: input.headers ?? {}, body: Buffer.from(input.body) }
      const result = (await pluginHandlers.responseBody(request, call(request.context.requestId))).result
      return result?.$case === 'replace' ? result.value.data : request.body
    },
    /**
     * Sends chunks through the response hook in order, then the end-of-stream
     * call, and returns what the client would receive, chunk by chunk. With
     * `aborted`, the end-of-stream call says the stream broke off, as when the
     * client goes away, and its result is ignored, as a host does.
     */
    async responseStream(chunks: Array<Buffer | string>, input: { context?: Partial<RequestContext>; aborted?: boolean } = {}) {
      const context = requestContext({ streaming: true, ...input.context })
      const aborted = input.aborted ?? false
      const sent: Buffer[] = []
      const all = [...chunks.map((c) => ({ data: Buffer.from(c), endOfStream: false, aborted: false })), { data: Buffer.alloc(0), endOfStream: true, aborted }]
      for (const [index, chunk] of all.entries()) {
        const result = (await pluginHandlers.responseChunk({ context, streamId: 0, index, ...chunk }, call(context.requestId))).result
        const out = result?.$case === 'replace' ? result.value.data : chunk.data
        if (out.length > 0 && !chunk.aborted) sent.push(out)
      }
      return sent
    },
    async streamComplete(input: Partial<StreamCompleteEvent> & { body: Buffer | string }) {
      await pluginHandlers.streamComplete(
        { context: requestContext(input.context), status: input.status ?? 200, body: Buffer.from(input.body), usage: input.usage, aborted: input.aborted ?? false },
        call(''),
      )
    },
    async collect(batch: Partial<DataBatch>) {
      await pluginHandlers.collectData(roundTrip(pb.DataBatch, { proxyLogs: [], analytics: [], budgetUsage: [], ...batch }), call(''))
    },
    async endpoint(input: {
      method?: string
      path: string
      request?: Partial<HttpRequest>
      params?: Record<string, string>
      /** The caller the host authenticated, for endpoints that require auth. */
      auth?: { app?: App; user?: pb.User }
    }) {
      const spec = pluginHandlers.describe().endpoints.find((e) => e.path === input.path && (!input.method || e.method === input.method))
      let status = 0
      let headers: Headers = {}
      const chunks: Buffer[] = []
      const frames = pluginHandlers.handleEndpoint(
        { requestId: 'test-request', endpoint: spec ?? { method: input.method ?? 'GET', path: input.path, authRequired: false, streaming: false }, request: httpRequest({ method: input.method ?? 'GET', path: input.path, ...input.request }), params: input.params ?? {}, auth: input.auth },
        call('test-request'),
      )
      for await (const frame of frames) {
        if (frame.frame?.$case === 'start') ({ status, headers } = frame.frame.value)
        else if (frame.frame?.$case === 'chunk') chunks.push(frame.frame.value)
      }
      return { status, headers, chunks, body: Buffer.concat(chunks) }
    },
    async objectEvent(event: ObjectHookEvent) {
      return roundTrip(
        pb.ObjectHookResult,
        await pluginHandlers.objectHook(
          {
            objectType: event.objectType,
            event: event.event,
            objectJson: Buffer.from(JSON.stringify(event.object)),
            previousJson: event.previous === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(event.previous)),
            actor: event.actor,
          },
          call(''),
        ),
      )
    },
    /**
     * Sends the agent one user message as Studio does, `history` standing for
     * the conversation so far, `user` for the host-verified user and
     * `resources` for the objects its binding names; the host's config goes
     * with it as Studio sends it. Answers every chunk.
     */
    async agent(message: string, request: { history?: Array<{ role: string; content: string }>; user?: pb.User; resources?: pb.AgentResource[] } = {}) {
      const chunks: pb.AgentChunk[] = []
      const chatMessage = ({ role, content }: { role: string; content: string }) => ({ role, content, name: '', toolCallId: '' })
      for await (const chunk of pluginHandlers.handleAgentMessage(
        {
          sessionId: 'test-session',
          message: chatMessage({ role: 'user', content: message }),
          history: (request.history ?? []).map(chatMessage),
          resources: request.resources ?? [],
          configJson: options.config === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.config)),
          user: request.user,
        },
        call(''),
      )) {
        chunks.push(chunk)
      }
      return chunks
    },
    /**
     * Calls the plugin's admin RPC as Studio does, `user` standing for the
     * host-verified admin: `{ result }`, or `{ error }` with the code and
     * message of what the plugin threw (Studio answers that as PLUGIN_RPC_FAILED).
     */
    async uiRpc(method: string, payload: JsonValue = null, user?: pb.User): Promise<{ result: JsonValue } | { error: { code: string; message: string } }> {
      const answer = roundTrip(pb.UiRpcResponse, await pluginHandlers.handleUiRpc({ method, payloadJson: Buffer.from(JSON.stringify(payload)), user, groups: [] }, call('')))
      if (answer.error) return { error: { code: answer.error.code, message: answer.error.message } }
      return { result: answer.resultJson.length ? parseJson(answer.resultJson) : null }
    },
    /**
     * Calls the plugin's portal RPC as Studio does once it has checked the
     * method against the pages the user may see: `user` and `groups` stand
     * for the host-verified portal user and the names of their groups.
     */
    async portalRpc(method: string, payload: JsonValue = null, caller: { user?: pb.User; groups?: string[] } = {}): Promise<{ result: JsonValue } | { error: { code: string; message: string } }> {
      const request = { method, payloadJson: Buffer.from(JSON.stringify(payload)), user: caller.user, groups: caller.groups ?? [] }
      const answer = roundTrip(pb.UiRpcResponse, await pluginHandlers.handlePortalRpc(roundTrip(pb.UiRpcRequest, request), call('')))
      if (answer.error) return { error: { code: answer.error.code, message: answer.error.message } }
      return { result: answer.resultJson.length ? parseJson(answer.resultJson) : null }
    },
    /** Asks the plugin for a UI asset as Studio does for `/plugins/{name}/ui/{path}`: its status, content type and body. */
    async asset(path: string): Promise<{ status: number; contentType: string; body: Buffer }> {
      const answer = roundTrip(pb.AssetResponse, await pluginHandlers.serveAsset({ path }, call('')))
      return { status: answer.status, contentType: answer.contentType, body: Buffer.from(answer.body) }
    },
    /** Runs one of the plugin's scheduled tasks as Studio's scheduler does; answers its output (undefined for none). */
    async scheduledTask(input: { scheduleId: string; runId?: string; config?: JsonValue; scheduledAt?: Date }, signal?: AbortSignal) {
      const request = roundTrip(pb.ScheduledTaskRequest, {
        scheduleId: input.scheduleId,
        runId: input.runId ?? 'test-run',
        configJson: input.config === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(input.config)),
        scheduledAtMs: (input.scheduledAt ?? new Date()).getTime(),
      })
      const result = await pluginHandlers.runScheduledTask(request, call('', signal))
      return result.outputJson.length ? parseJson(result.outputJson) : undefined
    },
    /** Hands the plugin an edge payload, as Studio does with what a gateway half sent. */
    async edgePayload(kind: string, payload: Buffer | string, gatewayId = 'test-gateway') {
      await pluginHandlers.receiveEdgePayload(roundTrip(pb.EdgePayload, { gatewayId, kind, payload: Buffer.from(payload) }), call(''))
    },
    /** Tells the plugin its session is ready, as a host does once it is initialized. */
    async sessionReady() {
      await pluginHandlers.onSessionReady()
    },
    /** Tells the plugin its session closes, calls its shutdown and ends its subscriptions, as a host does at shutdown. */
    async close() {
      await pluginHandlers.onSessionClosing()
      closing.abort()
      await plugin.shutdown?.()
    },
  }
}

export type TestHost = Awaited<ReturnType<typeof createTestHost>>

/**
 * The SDK's Service API client as `serve()` makes it, for hosts' tests: dials a
 * Service API at a gRPC target (over its channel, or unary calls where the host has none).
 */
export { grpcServiceTransport } from '../grpc-transport.js'
