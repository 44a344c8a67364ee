/**
 * The OpenAI wire types the gateway speaks to apps: Chat Completions (request,
 * response, stream chunk), Embeddings and the error body. They follow the
 * `openai` npm client's types (`openai/resources/chat/completions`), trimmed to
 * what the gateway reads or writes: a request the official client sends fits
 * {@link ChatCompletionRequest}, and a {@link ChatCompletion} or
 * {@link ChatCompletionChunk} the gateway builds is one the client accepts.
 *
 * Nullable fields are `| null` where OpenAI documents or sends `null`; optional
 * fields are `?` where OpenAI omits them. Parameters the gateway never reads
 * are left out, so a request may carry more keys than this type names.
 */

// ---------------------------------------------------------------- content parts

/** A text part, allowed in every message role. */
export interface ChatTextPart {
  type: 'text'
  text: string
}

/** An image part (user messages): an `https:` URL or a `data:<mime>;base64,` URL. */
export interface ChatImagePart {
  type: 'image_url'
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' }
}

/** An audio part (user messages): base64 audio. */
export interface ChatInputAudioPart {
  type: 'input_audio'
  input_audio: { data: string; format: 'wav' | 'mp3' }
}

/** A file part (user messages): inline `file_data` (a data URL) or an uploaded `file_id`. */
export interface ChatFilePart {
  type: 'file'
  file: { file_data?: string; file_id?: string; filename?: string }
}

/** A refusal the model gave earlier, echoed back in an assistant message. */
export interface ChatRefusalPart {
  type: 'refusal'
  refusal: string
}

/** Any part a user message may hold. */
export type ChatUserContentPart = ChatTextPart | ChatImagePart | ChatInputAudioPart | ChatFilePart

// -------------------------------------------------------------------- messages

/** Instructions from the app's operator (older models). */
export interface ChatSystemMessage {
  role: 'system'
  content: string | ChatTextPart[]
  name?: string
}

/** Instructions from the app's developer (newer name for `system`). */
export interface ChatDeveloperMessage {
  role: 'developer'
  content: string | ChatTextPart[]
  name?: string
}

export interface ChatUserMessage {
  role: 'user'
  content: string | ChatUserContentPart[]
  name?: string
}

/** A previous model turn, echoed back by the app. */
export interface ChatAssistantMessage {
  role: 'assistant'
  /** `null` or absent when the turn only called tools. */
  content?: string | Array<ChatTextPart | ChatRefusalPart> | null
  refusal?: string | null
  tool_calls?: ChatToolCall[]
  name?: string
  /** Deprecated: the single function call of the pre-`tools` API. */
  function_call?: { name: string; arguments: string } | null
  /** A reference to an earlier audio answer. */
  audio?: { id: string } | null
}

/** The result of one tool call, answering the assistant tool call with `tool_call_id`. */
export interface ChatToolMessage {
  role: 'tool'
  content: string | ChatTextPart[]
  tool_call_id: string
}

/** Deprecated: the result of a `function_call`. */
export interface ChatFunctionMessage {
  role: 'function'
  content: string | null
  name: string
}

/** One message of a chat request, discriminated by `role`. */
export type ChatMessage =
  | ChatSystemMessage
  | ChatDeveloperMessage
  | ChatUserMessage
  | ChatAssistantMessage
  | ChatToolMessage
  | ChatFunctionMessage

// ----------------------------------------------------------------------- tools

/** A function the model may call; `parameters` is a JSON Schema for its arguments object. */
export interface ChatFunctionTool {
  type: 'function'
  function: {
    name: string
    description?: string
    parameters?: Record<string, unknown>
    strict?: boolean | null
  }
}

/** A free-form (non-JSON) tool: newer OpenAI models only. */
export interface ChatCustomTool {
  type: 'custom'
  custom: { name: string; description?: string; format?: Record<string, unknown> }
}

export type ChatTool = ChatFunctionTool | ChatCustomTool

/** Which tool the model must (or must not) call. */
export type ChatToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'custom'; custom: { name: string } }
  | { type: 'allowed_tools'; allowed_tools: { mode: 'auto' | 'required'; tools: Array<Record<string, unknown>> } }

/** A function call the model made; `arguments` is a JSON text (not always valid JSON). */
export interface ChatFunctionToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

/** A call of a {@link ChatCustomTool}. */
export interface ChatCustomToolCall {
  id: string
  type: 'custom'
  custom: { name: string; input: string }
}

export type ChatToolCall = ChatFunctionToolCall | ChatCustomToolCall

// --------------------------------------------------------------------- request

/** Deprecated pre-`tools` function definition. */
export interface ChatFunctionDefinition {
  name: string
  description?: string
  parameters?: Record<string, unknown>
}

/** Structured-output request: plain text, any JSON object, or JSON matching a schema. */
export type ChatResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema'
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null }
    }

/** `POST /v1/chat/completions` body. */
export interface ChatCompletionRequest {
  model: string
  messages: ChatMessage[]
  /** Deprecated in favour of `max_completion_tokens`. */
  max_tokens?: number | null
  max_completion_tokens?: number | null
  temperature?: number | null
  top_p?: number | null
  n?: number | null
  stop?: string | string[] | null
  stream?: boolean | null
  stream_options?: { include_usage?: boolean; include_obfuscation?: boolean } | null
  tools?: ChatTool[]
  tool_choice?: ChatToolChoice
  parallel_tool_calls?: boolean
  /** Deprecated: use `safety_identifier` and `prompt_cache_key`. */
  user?: string
  safety_identifier?: string | null
  prompt_cache_key?: string | null
  response_format?: ChatResponseFormat
  frequency_penalty?: number | null
  presence_penalty?: number | null
  logit_bias?: Record<string, number> | null
  logprobs?: boolean | null
  top_logprobs?: number | null
  seed?: number | null
  /** `minimal` … `high` and newer levels. */
  reasoning_effort?: string | null
  verbosity?: 'low' | 'medium' | 'high' | null
  modalities?: Array<'text' | 'audio'> | null
  audio?: { format: string; voice: unknown } | null
  prediction?: { type: 'content'; content: string | ChatTextPart[] } | null
  web_search_options?: Record<string, unknown>
  service_tier?: 'auto' | 'default' | 'flex' | 'scale' | 'priority' | null
  store?: boolean | null
  metadata?: Record<string, string> | null
  /** Deprecated: use `tools`. */
  functions?: ChatFunctionDefinition[]
  /** Deprecated: use `tool_choice`. */
  function_call?: 'none' | 'auto' | { name: string }
}

// -------------------------------------------------------------------- response

/**
 * Why the model stopped: a natural end or a stop sequence (`stop`), the token
 * limit (`length`), to call tools (`tool_calls`), a content filter, or the
 * deprecated `function_call`.
 */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call'

/** Token counts of one request; `prompt_tokens` includes cached tokens. */
export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number }
  completion_tokens_details?: {
    reasoning_tokens?: number
    audio_tokens?: number
    accepted_prediction_tokens?: number
    rejected_prediction_tokens?: number
  }
}

/** One token's log probability, when the request asked for `logprobs`. */
export interface ChatTokenLogprob {
  token: string
  logprob: number
  bytes: number[] | null
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] | null }>
}

export interface ChatChoiceLogprobs {
  content: ChatTokenLogprob[] | null
  refusal: ChatTokenLogprob[] | null
}

/** The assistant message of a non-streamed answer. */
export interface ChatCompletionMessage {
  role: 'assistant'
  /** `null` when the model only called tools. */
  content: string | null
  refusal: string | null
  tool_calls?: ChatToolCall[]
}

export interface ChatCompletionChoice {
  index: number
  message: ChatCompletionMessage
  finish_reason: FinishReason
  logprobs: ChatChoiceLogprobs | null
}

/** `POST /v1/chat/completions` answer when not streaming. */
export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  /** Unix time in seconds. */
  created: number
  model: string
  choices: ChatCompletionChoice[]
  usage?: Usage
  system_fingerprint?: string
  service_tier?: 'auto' | 'default' | 'flex' | 'scale' | 'priority' | null
}

// ---------------------------------------------------------------------- stream

/**
 * A fragment of a tool call. The first fragment of a call carries `id`, `type`
 * and `function.name`; later ones append to `function.arguments`. `index`
 * numbers the calls of the answer (0, 1, …), and says which call a fragment extends.
 */
export interface ChatChunkToolCall {
  index: number
  id?: string
  type?: 'function'
  function?: { name?: string; arguments?: string }
}

/** What a chunk adds to the assistant message; fields concatenate across chunks. */
export interface ChatChunkDelta {
  role?: 'assistant'
  content?: string | null
  refusal?: string | null
  tool_calls?: ChatChunkToolCall[]
}

export interface ChatChunkChoice {
  index: number
  delta: ChatChunkDelta
  /** `null` until the choice's last chunk. */
  finish_reason: FinishReason | null
  logprobs?: ChatChoiceLogprobs | null
}

/**
 * One `data:` event of a streamed answer. With `stream_options.include_usage`,
 * every chunk has `usage: null` except one last chunk with `choices: []` and the usage.
 */
export interface ChatCompletionChunk {
  id: string
  object: 'chat.completion.chunk'
  /** Unix time in seconds; the same in every chunk of a stream. */
  created: number
  model: string
  choices: ChatChunkChoice[]
  usage?: Usage | null
  system_fingerprint?: string
  service_tier?: 'auto' | 'default' | 'flex' | 'scale' | 'priority' | null
}

// ------------------------------------------------------------------ embeddings

/** `POST /v1/embeddings` body: one or many texts, or pre-tokenized input (token ids). */
export interface EmbeddingsRequest {
  model: string
  input: string | string[] | number[] | number[][]
  encoding_format?: 'float' | 'base64'
  dimensions?: number
  user?: string
}

export interface Embedding {
  object: 'embedding'
  index: number
  /** Floats, or a base64 string of little-endian float32s when `encoding_format` is `base64`. */
  embedding: number[] | string
}

/** `POST /v1/embeddings` answer. */
export interface EmbeddingsResponse {
  object: 'list'
  data: Embedding[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
}

// ----------------------------------------------------------------------- error

/** The body of every OpenAI error answer (and of an error event in a stream). */
export interface OpenAIErrorBody {
  error: {
    message: string
    /** E.g. `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`. */
    type: string
    param: string | null
    code: string | null
  }
}
