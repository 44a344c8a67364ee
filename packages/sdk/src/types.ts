/** Header names are lower-case; repeated values are joined with ", ". */
export type Headers = Record<string, string>

/** A body as a plugin may give it: bytes, text, or a value sent as JSON. */
export type BodyInit = Buffer | Uint8Array | string | JsonValue

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

export type Runtime = 'gateway' | 'studio'

export interface HttpRequest {
  method: string
  path: string
  /** Raw query string without the leading "?". */
  query: string
  headers: Headers
  body: Buffer
  clientIp: string
}

export interface App {
  id: string
  name: string
  allowedLlms: string[]
  monthlyBudget: number
  metadata: Record<string, string>
}

export interface User {
  id: string
  email: string
  name: string
  roles: string[]
}

export interface Budget {
  limit: number
  spent: number
  remaining: number
}

/** What the host knows about a request once it is authenticated. */
export interface RequestContext {
  requestId: string
  app?: App
  user?: User
  llm: string
  model: string
  budget?: Budget
  streaming: boolean
  /** Values added by earlier plugins in the chain. */
  metadata: Record<string, string>
  /**
   * The API the client spoke: `chat.completions`, `embeddings`, `anthropic.messages`,
   * `responses` or `passthrough` ('' on other routes). An `anthropic.messages` or
   * `responses` body reaches hooks translated to chat completions.
   */
  api: string
}

export interface PreAuthRequest {
  requestId: string
  request: HttpRequest
}

export interface PostAuthRequest {
  request: HttpRequest
  context: RequestContext
}

export interface AuthRequest {
  requestId: string
  request: HttpRequest
  /** The bearer token or API key the host extracted, or "" when there was none. */
  credential: string
}

/** Result of a request hook (pre-auth, post-auth): exactly one of pass, modify or block. */
export type RequestHookResult =
  | { action: 'pass' }
  | {
      action: 'modify'
      setHeaders?: Headers
      removeHeaders?: string[]
      body?: BodyInit
      metadata?: Record<string, string>
    }
  | { action: 'block'; status: number; headers?: Headers; body?: BodyInit }

export type AuthResult =
  | { action: 'pass' }
  | { action: 'authenticate'; app: App; user?: User }
  | { action: 'reject'; status?: number; code: string; message: string }

export interface ResponseHeadersEvent {
  context: RequestContext
  status: number
  headers: Headers
}

export type ResponseHeadersResult =
  | { action: 'pass' }
  | { action: 'modify'; status?: number; setHeaders?: Headers; removeHeaders?: string[] }

export interface ResponseBodyEvent {
  context: RequestContext
  status: number
  headers: Headers
  body: Buffer
}

export type ResponseBodyResult = { action: 'pass' } | { action: 'replace'; body: BodyInit }

export interface ResponseChunkEvent {
  context: RequestContext
  index: number
  data: Buffer
  /** True on one last call with empty data after the stream ends: release anything held back. */
  endOfStream: boolean
  /**
   * True (with `endOfStream`) when the stream broke off instead: the client went away, or the
   * upstream or a fail-closed plugin failed. The result is ignored; drop what you keep for the stream.
   */
  aborted: boolean
}

/** `replace` with empty data holds the chunk back (e.g. while a match may span the next chunk). */
export type ResponseChunkResult = { action: 'pass' } | { action: 'replace'; data: BodyInit }

export interface Usage {
  promptTokens: number
  completionTokens: number
  totalTokens: number
}

export interface StreamCompleteEvent {
  context: RequestContext
  status: number
  body: Buffer
  usage?: Usage
  aborted: boolean
}

/** Fields every data-collection record carries. */
export interface CollectedRecord {
  requestId: string
  timestampMs: number
  appId: string
  userId: string
  llm: string
  model: string
}

export interface ProxyLog extends CollectedRecord {
  method: string
  path: string
  status: number
  latencyMs: number
  requestBody: Buffer
  responseBody: Buffer
}

export interface AnalyticsRecord extends CollectedRecord {
  usage?: Usage
  cost: number
  latencyMs: number
  status: number
  streaming: boolean
  /** The API the client spoke, as in `RequestContext.api`. */
  api: string
}

export interface BudgetUsage {
  appId: string
  period: string
  cost: number
  spent: number
  limit: number
}

export interface DataBatch {
  proxyLogs: ProxyLog[]
  analytics: AnalyticsRecord[]
  budgetUsage: BudgetUsage[]
}

export interface EndpointSpec {
  method: string
  /** Below /plugins/{slug}; ":param" segments and a trailing "*" are allowed. */
  path: string
  authRequired: boolean
  streaming?: boolean
}

export interface EndpointRequest {
  requestId: string
  endpoint: EndpointSpec
  request: HttpRequest
  params: Record<string, string>
  auth?: { app?: App; user?: User }
}

/** A whole response, or a stream whose chunks the host flushes as they come. */
export type EndpointResponse =
  | { status?: number; headers?: Headers; body?: BodyInit }
  | { status?: number; headers?: Headers; stream: AsyncIterable<BodyInit> }

export type ObjectType = 'llm' | 'app' | 'tool' | 'datasource' | 'user' | 'group'
export type ObjectEvent = 'before_create' | 'after_create' | 'before_update' | 'after_update' | 'before_delete' | 'after_delete'

export interface ObjectHookEvent {
  objectType: ObjectType
  event: ObjectEvent
  object: JsonValue
  previous?: JsonValue
  actor?: User
}

export type ObjectHookResult = { action: 'pass' } | { action: 'modify'; object: JsonValue } | { action: 'reject'; message: string }

export interface ChatMessage {
  role: string
  content: string
  name?: string
  toolCallId?: string
}

export interface AgentResource {
  kind: 'llm' | 'tool' | 'datasource'
  id: string
  name: string
}

export interface AgentRequest {
  sessionId: string
  message: ChatMessage
  history: ChatMessage[]
  resources: AgentResource[]
  config: JsonValue
  user?: User
}

export type AgentChunk =
  | { type: 'content'; text: string }
  | { type: 'thinking'; text: string }
  | { type: 'tool_call'; id: string; name: string; arguments: JsonValue }
  | { type: 'tool_result'; id: string; result: JsonValue; isError?: boolean }
  | { type: 'error'; code: string; message: string }
  | { type: 'done' }

export interface Asset {
  status?: number
  contentType: string
  body: BodyInit
}

export interface UiRpcRequest {
  method: string
  payload: JsonValue
  /** Verified by the host, never taken from the browser. */
  user?: User
}

/** A call from a portal page: the user and their groups both come from the host, never from the browser. */
export interface PortalRpcRequest extends UiRpcRequest {
  /** The names of the groups the user is a member of, read when the call arrived. */
  groups: string[]
}

export interface ScheduledTask {
  scheduleId: string
  runId: string
  config: JsonValue
  scheduledAt: Date
}

export interface EdgePayload {
  gatewayId: string
  kind: string
  payload: Buffer
}
