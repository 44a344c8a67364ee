import {
  PlugboardError,
  servicev1,
  type ServiceRequest,
  type ServiceResponse,
  type StreamServiceMethod,
  type UnaryServiceMethod,
} from '@plugboard/proto'
import type { Logger, LogLevelName } from './logger.js'
import { encodeBody, parseJson } from './convert.js'
import type { BodyInit, JsonValue } from './types.js'

/** How service calls reach the host: gRPC through the broker, or in-process in tests. */
export interface ServiceApiTransport {
  call<M extends UnaryServiceMethod>(method: M, request: ServiceRequest<M>, signal?: AbortSignal): Promise<ServiceResponse<M>>
  stream<M extends StreamServiceMethod>(method: M, request: ServiceRequest<M>, signal: AbortSignal): AsyncIterable<ServiceResponse<M>>
}

export interface KvClient {
  get(key: string, options?: CallOptions): Promise<Buffer | undefined>
  getJson<T = JsonValue>(key: string, options?: CallOptions): Promise<T | undefined>
  /** Objects are stored as JSON. `ttlMs` expires the entry. */
  set(key: string, value: BodyInit, options?: CallOptions & { ttlMs?: number }): Promise<void>
  delete(key: string, options?: CallOptions): Promise<boolean>
  list(prefix: string, options?: CallOptions & { limit?: number }): Promise<Array<{ key: string; value: Buffer }>>
  /**
   * Adds `delta` (default 1) to the counter at `key` (absent counts from 0)
   * atomically, also across gateways sharing the store, and returns the new
   * value. `ttlMs` expires a counter this call creates; an existing one keeps its expiry.
   */
  increment(key: string, delta?: number, options?: CallOptions & { ttlMs?: number }): Promise<number>
  /**
   * Writes `value` only when the key holds `expected` (`undefined`: only when
   * absent), atomically; says whether it swapped and what the key holds now.
   */
  compareAndSet(key: string, expected: BodyInit | undefined, value: BodyInit, options?: CallOptions & { ttlMs?: number }): Promise<{ swapped: boolean; current: Buffer | undefined }>
}

/**
 * Where an event goes: `local` to subscribers in the publisher's own runtime,
 * `up` from a gateway to Studio's subscribers, `down` from Studio to every
 * gateway's subscribers.
 */
export type EventDirection = 'local' | 'up' | 'down'

export interface PluginEvent {
  topic: string
  payload: Buffer
  /** The publishing plugin's name, or "host" (system events). */
  source: string
  timestamp: Date
  /** How it was published: an `up` event came from a gateway, a `down` one from Studio. */
  direction: EventDirection
  json<T = JsonValue>(): T
}

/**
 * Events on topics (dot-separated tokens, `usage.app.demo`). Publishing and
 * subscribing need the `events.publish` / `events.subscribe` scopes and a
 * topic pattern the admin granted (from the manifest's `permissions.events`);
 * outside them a call rejects with TOPIC_DENIED. `system.>` carries the
 * host's events (object changes): plugins may subscribe, never publish.
 */
export interface EventsClient {
  /**
   * `direction` defaults to `local`. A gateway half may publish `up`, a
   * Studio half `down`; the other direction rejects with SERVICE_INVALID_REQUEST.
   */
  publish(topic: string, payload: BodyInit, options?: CallOptions & { direction?: EventDirection }): Promise<void>
  /** A topic, or a pattern: `*` for one token, a final `>` for one or more (`usage.>`); iterates until `signal` aborts. */
  subscribe(pattern: string, options: { signal: AbortSignal }): AsyncIterable<PluginEvent>
}

/** Edge payloads: a gateway half sends data to the Studio half of the same plugin (its `receiveEdgePayload`). */
export interface EdgeClient {
  /**
   * Needs the `events.publish` scope; at most 1 MiB (larger: SERVICE_INVALID_REQUEST).
   * Resolves once Studio took it for delivery; from Studio, or a gateway not linked to one,
   * it rejects (SERVICE_INVALID_REQUEST / SERVICE_UNAVAILABLE).
   */
  send(kind: string, payload: BodyInit, options?: CallOptions): Promise<void>
}

/** A list call: at most `limit` items (the host caps it at 100), from `cursor` (a previous `nextCursor`), narrowed by `filter` (e.g. `{ q: 'gpt', enabled: true }`). */
export type ListOptions = CallOptions & { limit?: number; cursor?: string; filter?: Record<string, JsonValue> }

export interface ObjectCollection {
  list(options?: ListOptions): Promise<{ items: JsonValue[]; nextCursor: string }>
  get(id: string, options?: CallOptions): Promise<JsonValue>
}

export interface WritableObjectCollection extends ObjectCollection {
  create(object: JsonValue, options?: CallOptions): Promise<JsonValue>
  update(id: string, object: JsonValue, options?: CallOptions): Promise<JsonValue>
  delete(id: string, options?: CallOptions): Promise<void>
}

export interface CallOptions {
  signal?: AbortSignal
}

/**
 * The Service API as seen by plugin code (`ctx.services`). Each call is
 * checked by the host against the scopes granted to this plugin; a call
 * outside them rejects with code SCOPE_DENIED.
 */
export interface Services {
  kv: KvClient
  log: Omit<Logger, 'child'>
  events: EventsClient
  edge: EdgeClient
  llms: WritableObjectCollection & {
    proxyCompletion(llm: string, request: JsonValue, options?: CallOptions): Promise<{ status: number; body: JsonValue }>
    /**
     * The same with `"stream": true`: resolves with the gateway's status once
     * it answered, then `body` yields the SSE bytes as the gateway sent them.
     * Stopping the iteration (or `signal`) cancels the completion.
     */
    proxyCompletionStream(llm: string, request: JsonValue, options?: CallOptions): Promise<{ status: number; body: AsyncIterable<Buffer> }>
  }
  apps: WritableObjectCollection
  tools: ObjectCollection & { execute(id: string, operation: string, args: JsonValue, options?: CallOptions): Promise<JsonValue> }
  datasources: ObjectCollection & {
    query(id: string, query: string, options?: CallOptions & { limit?: number }): Promise<JsonValue>
  }
  users: ObjectCollection
  analytics: { summary(filter: { appId?: string; from?: Date; to?: Date }, options?: CallOptions): Promise<JsonValue> }
  /** This plugin's own schedules (from its manifest). */
  schedules: {
    list(options?: CallOptions): Promise<JsonValue[]>
    setEnabled(id: string, enabled: boolean, options?: CallOptions): Promise<JsonValue>
    /** Starts a run now, outside the cron; resolves with the run. */
    runNow(id: string, options?: CallOptions): Promise<JsonValue>
    /** A schedule's runs, newest first. */
    runs(id: string, options?: CallOptions & { limit?: number; cursor?: string }): Promise<{ items: JsonValue[]; nextCursor: string }>
  }
  plugin: { info(options?: CallOptions): Promise<JsonValue> }
  /** Studio's version, node id, uptime and runtime. */
  system: { info(options?: CallOptions): Promise<JsonValue> }
}

const LOG_LEVEL: Record<LogLevelName, servicev1.LogLevel> = {
  debug: servicev1.LogLevel.LOG_LEVEL_DEBUG,
  info: servicev1.LogLevel.LOG_LEVEL_INFO,
  warn: servicev1.LogLevel.LOG_LEVEL_WARN,
  error: servicev1.LogLevel.LOG_LEVEL_ERROR,
}

const DIRECTION: Record<EventDirection, servicev1.EventDirection> = {
  local: servicev1.EventDirection.EVENT_DIRECTION_LOCAL,
  up: servicev1.EventDirection.EVENT_DIRECTION_UP,
  down: servicev1.EventDirection.EVENT_DIRECTION_DOWN,
}
const DIRECTION_NAME = new Map(Object.entries(DIRECTION).map(([name, value]) => [value, name as EventDirection]))

const json = (bytes: Buffer): JsonValue => parseJson(bytes, 'SERVICE_INVALID_RESPONSE')
const jsonBytes = (value: JsonValue): Buffer => Buffer.from(JSON.stringify(value))

/** Builds the `ctx.services` surface over a transport. */
export function createServices(transport: ServiceApiTransport, fallbackLog: Logger): Services {
  const call = transport.call.bind(transport)

  const list =
    (method: 'listLlms' | 'listApps' | 'listTools' | 'listUsers' | 'listDatasources'): ObjectCollection['list'] =>
    async (options = {}) => {
      const filterJson = options.filter ? JSON.stringify(options.filter) : ''
      const response = await call(method, { limit: options.limit ?? 0, cursor: options.cursor ?? '', filterJson }, options.signal)
      return { items: response.items.map((item) => json(item.json)), nextCursor: response.nextCursor }
    }
  const get =
    (method: 'getLlm' | 'getApp' | 'getTool' | 'getUser' | 'getDatasource'): ObjectCollection['get'] =>
    async (id, options = {}) =>
      json((await call(method, { id }, options.signal)).json)
  const create =
    (method: 'createLlm' | 'createApp'): WritableObjectCollection['create'] =>
    async (object, options = {}) =>
      json((await call(method, { id: '', json: jsonBytes(object) }, options.signal)).json)
  const update =
    (method: 'updateLlm' | 'updateApp'): WritableObjectCollection['update'] =>
    async (id, object, options = {}) =>
      json((await call(method, { id, json: jsonBytes(object) }, options.signal)).json)

  const remove =
    (method: 'deleteLlm' | 'deleteApp'): WritableObjectCollection['delete'] =>
    async (id, options = {}) => {
      await call(method, { id }, options.signal)
    }

  const log = (level: LogLevelName) => (message: string, fields?: Record<string, unknown>) => {
    call('log', { level: LOG_LEVEL[level], message, fieldsJson: fields ? Buffer.from(JSON.stringify(fields)) : Buffer.alloc(0) }).catch(
      (error: unknown) => fallbackLog[level](message, { ...fields, serviceLogError: String(error) }),
    )
  }

  return {
    kv: {
      async get(key, options = {}) {
        const response = await call('kvGet', { key }, options.signal)
        return response.found ? response.value : undefined
      },
      async getJson<T = JsonValue>(key: string, options: CallOptions = {}) {
        const response = await call('kvGet', { key }, options.signal)
        return response.found ? (parseJson(response.value, 'SERVICE_INVALID_RESPONSE') as T) : undefined
      },
      async set(key, value, options = {}) {
        await call('kvSet', { key, value: encodeBody(value), ttlMs: options.ttlMs ?? 0 }, options.signal)
      },
      async delete(key, options = {}) {
        return (await call('kvDelete', { key }, options.signal)).deleted
      },
      async list(prefix, options = {}) {
        return (await call('kvList', { prefix, limit: options.limit ?? 0 }, options.signal)).entries
      },
      async increment(key, delta = 1, options = {}) {
        return (await call('kvIncrement', { key, delta, ttlMs: options.ttlMs ?? 0 }, options.signal)).value
      },
      async compareAndSet(key, expected, value, options = {}) {
        const request = { key, expectAbsent: expected === undefined, expected: expected === undefined ? Buffer.alloc(0) : encodeBody(expected), value: encodeBody(value), ttlMs: options.ttlMs ?? 0 }
        const response = await call('kvCompareAndSet', request, options.signal)
        return { swapped: response.swapped, current: response.found ? response.current : undefined }
      },
    },
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    events: {
      async publish(topic, payload, options = {}) {
        await call('publish', { topic, payload: encodeBody(payload), direction: DIRECTION[options.direction ?? 'local'] }, options.signal)
      },
      async *subscribe(pattern, options) {
        for await (const event of transport.stream('subscribe', { topic: pattern }, options.signal)) {
          yield {
            topic: event.topic,
            payload: event.payload,
            source: event.source,
            timestamp: new Date(event.timestampMs),
            direction: DIRECTION_NAME.get(event.direction) ?? 'local',
            json: <T>() => parseJson(event.payload, 'SERVICE_INVALID_RESPONSE') as T,
          }
        }
      },
    },
    edge: {
      async send(kind, payload, options = {}) {
        await call('sendEdgePayload', { kind, payload: encodeBody(payload) }, options.signal)
      },
    },
    llms: {
      list: list('listLlms'),
      get: get('getLlm'),
      create: create('createLlm'),
      update: update('updateLlm'),
      delete: remove('deleteLlm'),
      async proxyCompletion(llm, request, options = {}) {
        const response = await call('proxyCompletion', { llm, requestJson: jsonBytes(request) }, options.signal)
        return { status: response.status, body: json(response.responseJson) }
      },
      async proxyCompletionStream(llm, request, options = {}) {
        // Its own controller: a caller that stops reading the body cancels the stream without a signal of its own.
        const controller = new AbortController()
        const stop = () => controller.abort(options.signal?.reason)
        options.signal?.addEventListener('abort', stop, { once: true })
        const chunks = transport.stream('proxyCompletionStream', { llm, requestJson: jsonBytes(request) }, controller.signal)[Symbol.asyncIterator]()
        const done = () => {
          options.signal?.removeEventListener('abort', stop)
          controller.abort()
        }
        let first: IteratorResult<ServiceResponse<'proxyCompletionStream'>>
        try {
          first = await chunks.next()
        } catch (error) {
          done()
          throw error
        }
        if (first.done) {
          done()
          throw new PlugboardError('SERVICE_INVALID_RESPONSE', 'the host ended a streamed completion before its status')
        }
        async function* body(): AsyncIterable<Buffer> {
          try {
            if (first.value.data.length > 0) yield first.value.data
            for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value.data
          } finally {
            done()
          }
        }
        return { status: first.value.status, body: body() }
      },
    },
    apps: { list: list('listApps'), get: get('getApp'), create: create('createApp'), update: update('updateApp'), delete: remove('deleteApp') },
    tools: {
      list: list('listTools'),
      get: get('getTool'),
      async execute(id, operation, args, options = {}) {
        return json((await call('executeTool', { id, operation, argumentsJson: jsonBytes(args) }, options.signal)).json)
      },
    },
    datasources: {
      list: list('listDatasources'),
      get: get('getDatasource'),
      async query(id, query, options = {}) {
        return json((await call('queryDatasource', { id, query, limit: options.limit ?? 0 }, options.signal)).json)
      },
    },
    users: { list: list('listUsers'), get: get('getUser') },
    analytics: {
      async summary(filter, options = {}) {
        const request = { appId: filter.appId ?? '', fromMs: filter.from?.getTime() ?? 0, toMs: filter.to?.getTime() ?? 0 }
        return json((await call('getAnalyticsSummary', request, options.signal)).json)
      },
    },
    schedules: {
      async list(options = {}) {
        const response = await call('listSchedules', { limit: 0, cursor: '', filterJson: '' }, options.signal)
        return response.items.map((item) => json(item.json))
      },
      async setEnabled(id, enabled, options = {}) {
        return json((await call('setScheduleEnabled', { id, enabled }, options.signal)).json)
      },
      async runNow(id, options = {}) {
        return json((await call('runScheduleNow', { id }, options.signal)).json)
      },
      async runs(id, options = {}) {
        const response = await call('listScheduleRuns', { limit: options.limit ?? 0, cursor: options.cursor ?? '', filterJson: JSON.stringify({ scheduleId: id }) }, options.signal)
        return { items: response.items.map((item) => json(item.json)), nextCursor: response.nextCursor }
      },
    },
    plugin: {
      async info(options = {}) {
        return json((await call('getPluginInfo', {}, options.signal)).json)
      },
    },
    system: {
      async info(options = {}) {
        return json((await call('getSystemInfo', {}, options.signal)).json)
      },
    },
  }
}

/** A transport for a plugin whose host offers no Service API: every call says so. */
export function unavailableTransport(reason: string): ServiceApiTransport {
  const fail = (): never => {
    throw new PlugboardError('SERVICE_UNAVAILABLE', `the Service API is not available: ${reason}`)
  }
  return {
    call: async () => fail(),
    stream: () => ({
      [Symbol.asyncIterator]: () => ({ next: async () => fail() }),
    }),
  }
}
