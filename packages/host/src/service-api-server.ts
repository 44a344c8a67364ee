import {
  type Metadata,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js'
import {
  PlugboardError,
  SERVICE_API_METHOD_SCOPES,
  STREAM_SERVICE_METHODS,
  authorizeServiceCall,
  carriesServiceApiToken,
  serviceErrorStatus,
  toGrpcError,
  type ServiceApiErrorCode,
  type ServiceApiHandlers,
  type ServiceApiMethod,
  type ServiceCaller,
  type StreamServiceMethod,
  type servicev1,
} from '@plugboard/proto'
import type { HostLogger } from './logger.js'
import { serveServiceChannel, type ServiceCallRunner } from './service-channel.js'

type UnaryHandler = (request: unknown, caller: ServiceCaller, signal: AbortSignal) => Promise<unknown>

/** Limits and credentials of one plugin connection's Service API. */
export interface ServiceApiServerOptions {
  /** When set, every call must carry this token (see `ServiceApiAccess`); others fail with SERVICE_UNAUTHENTICATED. */
  token?: string
  /** Unary calls (their own RPCs and those on the channel together) the plugin may have in flight at once; more fail with SERVICE_TOO_MANY_CALLS. Default 128. */
  maxInFlightCalls?: number
  /** Event subscriptions the plugin may hold open at once; more fail with SERVICE_TOO_MANY_CALLS. Default 16. */
  maxSubscriptions?: number
  /** Calls per second the plugin may make (a token bucket); more fail at once with SERVICE_RATE_LIMITED. Default {@link DEFAULT_SERVICE_API_RATE_LIMIT}. */
  rateLimit?: ServiceApiRateLimit
}

/** A plugin's Service API call rate: `callsPerSecond` sustained, up to `burst` at once (default twice the rate). */
export interface ServiceApiRateLimit {
  callsPerSecond: number
  burst?: number
}

/**
 * Generous enough for a plugin's hot path (tens of thousands of KV gets a
 * second, the bench's 10,000/s target included) while stopping a plugin stuck in
 * a loop from taking the host's CPU and database from every other plugin.
 */
export const DEFAULT_SERVICE_API_RATE_LIMIT: Required<ServiceApiRateLimit> = { callsPerSecond: 20_000, burst: 40_000 }

/**
 * A token bucket: `take()` spends a token when one is there, refilled at
 * `rate` per second up to `burst`. Refills lazily on take, so it needs no timer.
 */
export class TokenBucket {
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  #tokens: number
  #at: number

  constructor(limit: ServiceApiRateLimit, now: () => number = () => performance.now()) {
    if (!(limit.callsPerSecond > 0)) throw new RangeError('a Service API rate limit needs callsPerSecond above 0')
    this.#rate = limit.callsPerSecond
    this.#burst = Math.max(1, limit.burst ?? limit.callsPerSecond * 2)
    this.#tokens = this.#burst
    this.#now = now
    this.#at = now()
  }

  take(): boolean {
    const now = this.#now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate)
    this.#at = now
    if (this.#tokens < 1) return false
    this.#tokens--
    return true
  }
}

const serviceError = (code: ServiceApiErrorCode, message: string) => new PlugboardError<ServiceApiErrorCode>(code, message)

/** Resolves true once `call` can take writes again, false when `signal` aborts first (the client left). */
function drained(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const settle = (writable: boolean) => {
      call.off('drain', onDrain)
      signal.removeEventListener('abort', onAbort)
      resolve(writable)
    }
    const onDrain = () => settle(true)
    const onAbort = () => settle(false)
    call.on('drain', onDrain)
    signal.addEventListener('abort', onAbort)
  })
}

/**
 * The Service API as a grpc-js service implementation for one plugin
 * connection. `caller` is fixed when the connection is made, so a plugin's
 * identity and scopes come from the connection, never from a request. Before
 * any handler runs, a call must carry the connection's token (when it has
 * one), be inside the granted scopes, fit in the connection's rate limit
 * (refused at once, never queued) and in-flight limits; refusals are written to the audit log.
 * The unary methods also travel on the `Channel` stream (see `serveServiceChannel`): the
 * token is checked when it opens, and each call on it takes the unary path above. Register it
 * with `ServiceApiService` from `@plugboard/proto` (whose channel passes encoded frames through).
 *
 * Subscriptions follow write backpressure: the next event is taken from the
 * bus only once the client has read the previous ones, so a slow subscriber's
 * backlog stays in the bus's bounded buffer (see `MemoryEventBus`). A client
 * that cancels, even while the server waits for it to read, is unsubscribed at once.
 */
export function serviceApiImplementation(
  handlers: ServiceApiHandlers,
  caller: ServiceCaller,
  logger: HostLogger,
  options: ServiceApiServerOptions = {},
): UntypedServiceImplementation {
  const audit = logger.child({ audit: true, plugin: caller.plugin })
  const maxInFlight = { unary: options.maxInFlightCalls ?? 128, subscribe: options.maxSubscriptions ?? 16 }
  const inFlight = { unary: 0, subscribe: 0 }
  const rate = options.rateLimit ?? DEFAULT_SERVICE_API_RATE_LIMIT
  const bucket = new TokenBucket(rate)

  /** Refuses a call (or a channel, at its opening) that does not carry the connection's token. */
  const authenticate = (method: ServiceApiMethod | 'channel', metadata: Metadata) => {
    if (options.token !== undefined && !carriesServiceApiToken(metadata, options.token)) {
      audit.warn({ method }, 'service API call without the connection token refused')
      throw serviceError('SERVICE_UNAUTHENTICATED', `${method} did not carry the Service API token the host gave plugin "${caller.plugin}" in Initialize`)
    }
  }

  /** Checks a call and counts it in flight; the returned function releases it. */
  const admit = (method: ServiceApiMethod): (() => void) => {
    try {
      authorizeServiceCall(method, caller)
    } catch (error) {
      audit.warn({ method, requiredScope: SERVICE_API_METHOD_SCOPES[method], granted: [...caller.scopes] }, 'service API call denied')
      throw error
    }
    if (!bucket.take()) {
      throw serviceError('SERVICE_RATE_LIMITED', `plugin "${caller.plugin}" made more than ${rate.callsPerSecond} Service API calls a second, its limit (PluginSpec.serviceApiRateLimit); slow down and retry`)
    }
    const kind = isStream(method) ? 'subscribe' : 'unary'
    if (inFlight[kind] >= maxInFlight[kind]) {
      const what = kind === 'subscribe' ? 'event subscriptions open' : 'Service API calls in flight'
      throw serviceError('SERVICE_TOO_MANY_CALLS', `plugin "${caller.plugin}" already has ${maxInFlight[kind]} ${what}, its limit; wait for some to finish`)
    }
    inFlight[kind]++
    return () => void inFlight[kind]--
  }

  /** One unary call, whether it came as its own RPC or on the channel: admitted, handled, released. */
  const runUnary: ServiceCallRunner = async (method, request, signal) => {
    const release = admit(method)
    try {
      return await (handlers[method] as UnaryHandler)(request, caller, signal)
    } finally {
      release()
    }
  }

  const implementation: UntypedServiceImplementation = {}
  for (const method of Object.keys(SERVICE_API_METHOD_SCOPES) as ServiceApiMethod[]) {
    if (isStream(method)) continue
    implementation[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const controller = new AbortController()
      let answered = false
      // grpc-js reports every answered call as cancelled too: only a call still running is aborted
      // (an abort costs a DOMException and its stack, on the KV hot path once per call).
      call.on('cancelled', () => answered || controller.abort())
      Promise.resolve()
        .then(() => {
          authenticate(method, call.metadata)
          return runUnary(method, call.request, controller.signal)
        })
        .then(
          (response) => {
            answered = true
            callback(null, response)
          },
          (error: unknown) => {
            answered = true
            callback(toGrpcError(error, serviceErrorStatus(error)))
          },
        )
    }
  }
  implementation.channel = (call: ServerDuplexStream<servicev1.ServiceFrame, Buffer>) => {
    try {
      authenticate('channel', call.metadata)
    } catch (error) {
      call.emit('error', toGrpcError(error, serviceErrorStatus(error)))
      return
    }
    serveServiceChannel(call, runUnary)
  }
  for (const method of STREAM_SERVICE_METHODS) {
    const handler = handlers[method] as (request: unknown, caller: ServiceCaller, signal: AbortSignal) => AsyncIterable<unknown>
    const serve = async (call: ServerWritableStream<unknown, unknown>) => {
      const controller = new AbortController()
      call.on('cancelled', () => controller.abort())
      let release: (() => void) | undefined
      try {
        authenticate(method, call.metadata)
        release = admit(method)
        for await (const message of handler(call.request, caller, controller.signal)) {
          if (!call.write(message) && !(await drained(call, controller.signal))) break
        }
        if (!controller.signal.aborted) call.end()
      } catch (error) {
        if (!controller.signal.aborted) call.emit('error', toGrpcError(error, serviceErrorStatus(error)))
      } finally {
        release?.()
      }
    }
    implementation[method] = serve as UntypedServiceImplementation[string]
  }
  return implementation
}

const isStream = (method: ServiceApiMethod): method is StreamServiceMethod => (STREAM_SERVICE_METHODS as readonly string[]).includes(method)
