import { status as GrpcStatus } from '@grpc/grpc-js'
import { PlugboardError, isPlugboardError } from './errors.js'
import { SERVICE_API_METHOD_SCOPES, type Scope, type ServiceApiMethod } from './scopes.js'
import { ServiceApiService } from './gen/plugboard/service/v1/service.js'
import { SYSTEM_TOPICS, isSystemTopic } from './system-events.js'
import { topicProblem, withinAny, type TopicGrant } from './topic-patterns.js'

type Definition = typeof ServiceApiService
type RequestOf<M extends ServiceApiMethod> = ReturnType<Definition[M]['requestDeserialize']>
type ResponseOf<M extends ServiceApiMethod> = ReturnType<Definition[M]['responseDeserialize']>

/** Service API methods answered with a stream of responses. */
export const STREAM_SERVICE_METHODS = ['subscribe', 'proxyCompletionStream'] as const satisfies readonly ServiceApiMethod[]
export type StreamServiceMethod = (typeof STREAM_SERVICE_METHODS)[number]

/** Service API methods answered with one response. */
export type UnaryServiceMethod = Exclude<ServiceApiMethod, StreamServiceMethod>

/** Who is calling: bound to the plugin's connection by the host, never read from a request. */
export interface ServiceCaller {
  plugin: string
  scopes: ReadonlySet<Scope>
  /** Topic patterns granted for Publish and Subscribe; absent means none. Replaced as a whole when a grant changes. */
  topics?: TopicGrant
}

/**
 * The Service API as plain async functions, one per method. A host (or the
 * SDK's test kit) implements it once; transports (gRPC through the broker, or a
 * direct in-process call) adapt it and {@link authorizeServiceCall} guards it.
 */
export type ServiceApiHandlers = {
  [M in UnaryServiceMethod]: (request: RequestOf<M>, caller: ServiceCaller, signal: AbortSignal) => Promise<ResponseOf<M>>
} & {
  [M in StreamServiceMethod]: (request: RequestOf<M>, caller: ServiceCaller, signal: AbortSignal) => AsyncIterable<ResponseOf<M>>
}

export type ServiceRequest<M extends ServiceApiMethod> = RequestOf<M>
export type ServiceResponse<M extends ServiceApiMethod> = ResponseOf<M>

/**
 * Every code a Service API call fails with, the gRPC status it travels under
 * (the SDK rebuilds the code from the trailers) and one line of meaning.
 */
export const SERVICE_API_ERRORS = {
  SCOPE_DENIED: { grpc: GrpcStatus.PERMISSION_DENIED, doc: 'The plugin called a method outside the scopes granted to it.' },
  TOPIC_DENIED: {
    grpc: GrpcStatus.PERMISSION_DENIED,
    doc: 'The plugin published to a topic, or subscribed to a pattern, outside the topic patterns granted to it (or published under the reserved `system.>`).',
  },
  SERVICE_UNAUTHENTICATED: {
    grpc: GrpcStatus.UNAUTHENTICATED,
    doc: 'The call did not carry the token the host gave this connection (grpc:// plugins).',
  },
  SERVICE_UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, doc: 'The method needs a part of the host that is not there (e.g. Studio).' },
  SERVICE_INVALID_REQUEST: {
    grpc: GrpcStatus.INVALID_ARGUMENT,
    doc: 'The request is malformed (bad topic or pattern, an event direction this runtime may not publish in, an edge payload over 1 MiB, bad key, negative TTL).',
  },
  SERVICE_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, doc: 'The object the request names does not exist.' },
  SERVICE_NOT_BOUND: {
    grpc: GrpcStatus.PERMISSION_DENIED,
    doc: "The tool or datasource is outside the plugin's binding: a plugin bound to some tools or datasources (its spec's `tools`, `datasources`) executes and queries only those.",
  },
  SERVICE_TOO_MANY_CALLS: {
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    doc: 'The plugin has as many calls (or subscriptions) in flight as its connection allows; retry when some finished.',
  },
  SERVICE_RATE_LIMITED: {
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    doc: "The plugin called faster than its Service API rate limit (its spec's serviceApiRateLimit); refused at once, not queued: slow down and retry.",
  },
  SERVICE_MESSAGE_TOO_LARGE: {
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    doc: "A request or response on the Service API channel is larger than a frame may be (gRPC's message limit); that call fails, the channel keeps working: ask for less (a smaller list limit).",
  },
  KV_VALUE_TOO_LARGE: { grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A KV value is larger than the store allows (1 MiB by default).' },
  KV_NOT_A_COUNTER: { grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'KvIncrement was called on a key whose value is not a counter.' },
  KV_QUOTA_EXCEEDED: {
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    doc: "The write would take the plugin's KV namespace, or the whole store, over its size cap; delete keys or set TTLs.",
  },
  EVENT_SUBSCRIPTION_OVERFLOW: {
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    doc: 'The subscriber fell so far behind that its buffer filled; the subscription ended and may be opened again.',
  },
} as const satisfies Record<string, { grpc: GrpcStatus; doc: string }>

export type ServiceApiErrorCode = keyof typeof SERVICE_API_ERRORS

/** The gRPC status a Service API call fails with: its code's (see {@link SERVICE_API_ERRORS}), INTERNAL for any other error. */
export function serviceErrorStatus(error: unknown): GrpcStatus {
  return (isPlugboardError(error) && SERVICE_API_ERRORS[error.code as ServiceApiErrorCode]?.grpc) || GrpcStatus.INTERNAL
}

/**
 * Throws SCOPE_DENIED unless the caller was granted the scope `method` needs.
 * Returns the scope that allowed the call (null for methods open to all).
 */
export function authorizeServiceCall(method: ServiceApiMethod, caller: ServiceCaller): Scope | null {
  const scope = SERVICE_API_METHOD_SCOPES[method]
  if (scope !== null && !caller.scopes.has(scope)) {
    throw new PlugboardError<ServiceApiErrorCode>(
      'SCOPE_DENIED',
      `plugin "${caller.plugin}" called ${method} without scope "${scope}"; an admin must grant that scope to the plugin`,
    )
  }
  return scope
}

/**
 * Throws TOPIC_DENIED unless the caller may publish to `topic` (`publish`),
 * or subscribe to `pattern` (`subscribe`: the whole pattern must lie within
 * one granted pattern, so `>` is refused to a plugin granted `usage.>`).
 * Publishing under `system.>` is refused whatever was granted; malformed
 * topics and patterns fail with SERVICE_INVALID_REQUEST.
 */
export function authorizeTopic(caller: ServiceCaller, action: 'publish' | 'subscribe', pattern: string): void {
  const problem = topicProblem(pattern, { wildcards: action === 'subscribe' })
  if (problem) {
    throw new PlugboardError<ServiceApiErrorCode>('SERVICE_INVALID_REQUEST', `${action === 'publish' ? 'event topic' : 'subscription pattern'} "${pattern}" ${problem}`)
  }
  if (action === 'publish' && isSystemTopic(pattern)) {
    throw new PlugboardError<ServiceApiErrorCode>('TOPIC_DENIED', `plugin "${caller.plugin}" may not publish to "${pattern}": ${SYSTEM_TOPICS} is reserved for the host`)
  }
  const granted = caller.topics?.[action] ?? []
  if (!withinAny(pattern, granted)) {
    throw new PlugboardError<ServiceApiErrorCode>(
      'TOPIC_DENIED',
      `plugin "${caller.plugin}" may not ${action === 'publish' ? 'publish to' : 'subscribe to'} "${pattern}": it is outside the topics granted to it for ${action} (${granted.join(', ') || 'none'}); an admin must grant a pattern covering it`,
    )
  }
}

/** The Service API methods that need the control plane; a host without one answers SERVICE_UNAVAILABLE. */
const CONTROL_PLANE_METHODS = [
  'listLlms',
  'getLlm',
  'createLlm',
  'updateLlm',
  'deleteLlm',
  'proxyCompletion',
  'proxyCompletionStream',
  'listApps',
  'getApp',
  'createApp',
  'updateApp',
  'deleteApp',
  'listTools',
  'getTool',
  'executeTool',
  'listDatasources',
  'getDatasource',
  'queryDatasource',
  'listUsers',
  'getUser',
  'getAnalyticsSummary',
  'listSchedules',
  'setScheduleEnabled',
  'runScheduleNow',
  'listScheduleRuns',
  'getPluginInfo',
  'getSystemInfo',
] as const satisfies readonly ServiceApiMethod[]

export type ControlPlaneMethod = (typeof CONTROL_PLANE_METHODS)[number]

/**
 * Handlers for the methods a host cannot serve without Studio: each rejects
 * with SERVICE_UNAVAILABLE naming the method, so a plugin gets a clear answer.
 */
export function unavailableControlPlane(runtime: string): Pick<ServiceApiHandlers, ControlPlaneMethod> {
  const refusal = (method: ControlPlaneMethod) =>
    new PlugboardError<ServiceApiErrorCode>('SERVICE_UNAVAILABLE', `${method} needs the Studio control plane, which this ${runtime} host is not connected to`)
  const entries = CONTROL_PLANE_METHODS.map((method) => [
    method,
    (STREAM_SERVICE_METHODS as readonly string[]).includes(method)
      ? // eslint-disable-next-line require-yield
        async function* () {
          throw refusal(method)
        }
      : async () => {
          throw refusal(method)
        },
  ])
  return Object.fromEntries(entries) as Pick<ServiceApiHandlers, ControlPlaneMethod>
}
