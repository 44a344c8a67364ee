import { BasePlugin, PlugboardError, type HookContext, type JsonValue, type UiProvider, type UiRpcRequest } from '@plugboard/sdk'

/** Bounds on what an admin page may send: a prompt is text for one message, not a file. */
const MAX_PROMPT_CHARS = 32_000
const MAX_NAME_CHARS = 200
/** One page of LLMs is plenty for a picker; the rest are behind `nextCursor`. */
const LLM_PAGE = 100
/** How much of an LLM's error body goes into the message. */
const MAX_ERROR_CHARS = 300

export interface CompleteRequest {
  /** The LLM's slug (or id). */
  llm: string
  prompt: string
  /** A model of that LLM; its default model when absent. */
  model?: string
}

type JsonObject = { [key: string]: JsonValue }
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value)

function invalid(message: string): PlugboardError {
  return new PlugboardError('RPC_INVALID_PAYLOAD', `service-api-demo: ${message}`)
}

function boundedString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${field} must be a non-empty string`)
  if (value.length > max) throw invalid(`${field} is ${value.length} characters, more than ${max}`)
  return value
}

/** Reads `{ llm, prompt, model? }`, refusing anything else with RPC_INVALID_PAYLOAD. */
export function parseCompleteRequest(payload: JsonValue): CompleteRequest {
  if (!isObject(payload)) throw invalid('complete needs { "llm": "<slug>", "prompt": "…", "model"?: "…" }')
  const request: CompleteRequest = { llm: boundedString(payload.llm, 'llm', MAX_NAME_CHARS), prompt: boundedString(payload.prompt, 'prompt', MAX_PROMPT_CHARS) }
  if (payload.model !== undefined) request.model = boundedString(payload.model, 'model', MAX_NAME_CHARS)
  return request
}

/** The answer text and token usage of an OpenAI chat completion, whatever else it holds. */
export function completionAnswer(body: JsonValue): { text: string; usage: { promptTokens: number; completionTokens: number; totalTokens: number } } {
  const choice = isObject(body) && Array.isArray(body.choices) ? body.choices[0] : undefined
  const message = isObject(choice) ? choice.message : undefined
  const content = isObject(message) ? message.content : undefined
  const usage = isObject(body) && isObject(body.usage) ? body.usage : {}
  const count = (value: JsonValue | undefined) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0)
  return {
    text: typeof content === 'string' ? content : '',
    usage: { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens), totalTokens: count(usage.total_tokens) },
  }
}

function errorMessage(body: JsonValue): string {
  const error = isObject(body) ? body.error : undefined
  const message = isObject(error) ? error.message : undefined
  return (typeof message === 'string' ? message : JSON.stringify(body)).slice(0, MAX_ERROR_CHARS)
}

/**
 * The Service API from a Studio plugin, driven by its admin page over RPC:
 * `llms` lists the LLMs (scope llms.read), `complete` sends one user message
 * to an LLM through the gateway as this plugin (scope llms.proxy) and
 * answers the text and token usage. A call outside the granted scopes fails
 * with SCOPE_DENIED, which the admin page sees in the RPC's error.
 */
export class ServiceApiDemo extends BasePlugin implements Pick<UiProvider, 'handleUiRpc'> {
  readonly manifest = {
    id: 'service-api-demo',
    name: 'Service API demo',
    version: '0.1.0',
    description: 'Lists LLMs and proxies a completion through the gateway, over admin RPC',
    runtimes: ['studio' as const],
    permissions: { services: ['llms.read' as const, 'llms.proxy' as const] },
    ui: { rpc: ['llms', 'complete'] },
  }

  async handleUiRpc({ method, payload }: UiRpcRequest, ctx: HookContext): Promise<JsonValue> {
    const options = { signal: ctx.signal }
    if (method === 'llms') return ctx.services.llms.list({ ...options, limit: LLM_PAGE })
    if (method !== 'complete') throw new PlugboardError('RPC_METHOD_UNKNOWN', `service-api-demo answers "llms" and "complete", not ${JSON.stringify(method.slice(0, 100))}`)
    const { llm, prompt, model } = parseCompleteRequest(payload)
    const { status, body } = await ctx.services.llms.proxyCompletion(llm, { ...(model && { model }), messages: [{ role: 'user', content: prompt }] }, options)
    if (status !== 200) throw new PlugboardError('LLM_CALL_FAILED', `LLM ${JSON.stringify(llm)} answered ${status}: ${errorMessage(body)}`)
    return completionAnswer(body)
  }
}
