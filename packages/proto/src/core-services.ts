import { PlugboardError } from './errors.js'
import type { EdgePayloadSink } from './edge-payloads.js'
import { MAX_EDGE_PAYLOAD_BYTES } from './edge-payloads.js'
import type { EventBus } from './event-bus.js'
import { routeEvent, type EventRouting } from './event-relay.js'
import type { KvStore } from './kv-store.js'
import { LogLevel } from './gen/plugboard/service/v1/service.js'
import { authorizeServiceCall, authorizeTopic, type ServiceApiErrorCode, type ServiceApiHandlers, type ServiceCaller } from './service-api.js'

export type CoreServiceMethod = 'kvGet' | 'kvSet' | 'kvDelete' | 'kvList' | 'kvIncrement' | 'kvCompareAndSet' | 'log' | 'publish' | 'subscribe' | 'sendEdgePayload'

export type PluginLogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Receives what plugins log through the Service API, already tagged with the plugin's name. */
export type PluginLogSink = (entry: { plugin: string; level: PluginLogLevel; message: string; fields: Record<string, unknown> }) => void

const LOG_LEVELS: Record<LogLevel, PluginLogLevel> = {
  [LogLevel.LOG_LEVEL_UNSPECIFIED]: 'info',
  [LogLevel.LOG_LEVEL_DEBUG]: 'debug',
  [LogLevel.LOG_LEVEL_INFO]: 'info',
  [LogLevel.LOG_LEVEL_WARN]: 'warn',
  [LogLevel.LOG_LEVEL_ERROR]: 'error',
  [LogLevel.UNRECOGNIZED]: 'info',
}

/** Longest KV key, in UTF-8 bytes (a key of 512 characters may be four times that). */
const MAX_KEY_BYTES = 512
const MAX_LIST = 1000
/** Log fields larger than this (serialized) are not parsed but kept as a cut string: a log line is no place for a payload. */
const MAX_LOG_FIELDS_BYTES = 8192

// PostgreSQL text cannot hold NUL: refused here for every store alike, rather than as an internal error of one.
function checkKey(key: string, { prefix = false } = {}): void {
  if ((!key && !prefix) || Buffer.byteLength(key) > MAX_KEY_BYTES || key.includes('\u0000')) {
    throw new PlugboardError<ServiceApiErrorCode>('SERVICE_INVALID_REQUEST', `KV ${prefix ? 'prefix must be at most' : 'key must be 1 to'} ${MAX_KEY_BYTES} bytes of UTF-8 without NUL`)
  }
}

function checkTtl(ttlMs: number): void {
  if (ttlMs < 0) throw new PlugboardError<ServiceApiErrorCode>('SERVICE_INVALID_REQUEST', 'KV ttlMs must not be negative')
}

function parseFields(json: Buffer): Record<string, unknown> {
  if (json.length === 0) return {}
  if (json.length > MAX_LOG_FIELDS_BYTES) return { fieldsTruncated: json.toString('utf8', 0, 1000) }
  try {
    const fields: unknown = JSON.parse(json.toString('utf8'))
    return typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? (fields as Record<string, unknown>) : { fields }
  } catch {
    return { fieldsUnparsed: json.toString('utf8').slice(0, 1000) }
  }
}

/**
 * Ends a subscription once its grant no longer covers it: the caller's topics or scopes were
 * replaced (a revocation) since `pattern` was checked. Re-checked only when a grant object changed.
 */
async function* whileGranted<T>(events: AsyncIterable<T>, caller: ServiceCaller, pattern: string): AsyncIterable<T> {
  let checked = { topics: caller.topics, scopes: caller.scopes }
  for await (const event of events) {
    if (caller.topics !== checked.topics || caller.scopes !== checked.scopes) {
      authorizeServiceCall('subscribe', caller)
      authorizeTopic(caller, 'subscribe', pattern)
      checked = { topics: caller.topics, scopes: caller.scopes }
    }
    yield event
  }
}

/**
 * KV, logging, events and edge payloads: the Service API methods every host
 * serves itself. KV keys are namespaced by the caller's plugin name; events
 * carry the publishing plugin as their source and are limited to its granted
 * topics; `routing` says which directions the host's plugins publish in and
 * where UP / DOWN events go (only LOCAL without it); edge payloads go to
 * `edgePayloads` (SERVICE_UNAVAILABLE without it).
 */
export function createCoreServiceHandlers(deps: {
  kv: KvStore
  events: EventBus
  log: PluginLogSink
  routing?: EventRouting
  edgePayloads?: EdgePayloadSink
}): Pick<ServiceApiHandlers, CoreServiceMethod> {
  const { kv, events, log, routing, edgePayloads } = deps
  return {
    async kvGet(request, caller) {
      checkKey(request.key)
      const value = await kv.get(caller.plugin, request.key)
      return value ? { found: true, value } : { found: false, value: Buffer.alloc(0) }
    },
    async kvSet(request, caller) {
      checkKey(request.key)
      checkTtl(request.ttlMs)
      await kv.set(caller.plugin, request.key, request.value, request.ttlMs)
      return {}
    },
    async kvDelete(request, caller) {
      checkKey(request.key)
      return { deleted: await kv.delete(caller.plugin, request.key) }
    },
    async kvList(request, caller) {
      checkKey(request.prefix, { prefix: true })
      const limit = request.limit > 0 ? Math.min(request.limit, MAX_LIST) : MAX_LIST
      return { entries: await kv.list(caller.plugin, request.prefix, limit) }
    },
    async kvIncrement(request, caller) {
      checkKey(request.key)
      checkTtl(request.ttlMs)
      return { value: await kv.increment(caller.plugin, request.key, request.delta, request.ttlMs) }
    },
    async kvCompareAndSet(request, caller) {
      checkKey(request.key)
      checkTtl(request.ttlMs)
      const { swapped, current } = await kv.compareAndSet(caller.plugin, request.key, request.expectAbsent ? undefined : request.expected, request.value, request.ttlMs)
      return { swapped, found: current !== undefined, current: current ?? Buffer.alloc(0) }
    },
    async log(request, caller) {
      log({ plugin: caller.plugin, level: LOG_LEVELS[request.level], message: request.message, fields: parseFields(request.fieldsJson) })
      return {}
    },
    async publish(request, caller) {
      authorizeTopic(caller, 'publish', request.topic)
      await routeEvent(events, routing, { topic: request.topic, payload: request.payload, source: caller.plugin, timestampMs: Date.now(), direction: request.direction })
      return {}
    },
    subscribe(request, caller, signal) {
      authorizeTopic(caller, 'subscribe', request.topic)
      return whileGranted(events.subscribe(request.topic, signal), caller, request.topic)
    },
    async sendEdgePayload(request, caller, signal) {
      if (routing?.runtime === 'studio') {
        throw new PlugboardError<ServiceApiErrorCode>('SERVICE_INVALID_REQUEST', `plugin "${caller.plugin}" sent an edge payload from Studio; only gateway halves send them`)
      }
      if (!request.kind) throw new PlugboardError<ServiceApiErrorCode>('SERVICE_INVALID_REQUEST', 'edge payload kind must not be empty')
      if (request.payload.length > MAX_EDGE_PAYLOAD_BYTES) {
        throw new PlugboardError<ServiceApiErrorCode>(
          'SERVICE_INVALID_REQUEST',
          `edge payload "${request.kind}" is ${request.payload.length} bytes, over the ${MAX_EDGE_PAYLOAD_BYTES}-byte limit; send a summary, or several`,
        )
      }
      if (!edgePayloads || !routing) {
        throw new PlugboardError<ServiceApiErrorCode>('SERVICE_UNAVAILABLE', `plugin "${caller.plugin}" sent an edge payload, but this host is not linked to a Studio`)
      }
      await edgePayloads({ plugin: caller.plugin, gatewayId: routing.instanceId }, request.kind, request.payload, signal)
      return {}
    },
  }
}
