import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { GatewayError } from './errors.js'
import type { ChatCompletionRequest, EmbeddingsRequest } from './openai-types.js'

/**
 * The shapes of the OpenAI request bodies the gateway models, as JSON Schema:
 * declared once, compiled once when the module loads, checked before any
 * plugin after auth or any vendor sees a body. They follow openai-types.ts.
 * Unknown fields are allowed (vendors add their own); the fields the gateway
 * or a vendor reads must have the right type and range.
 */

const nullable = (schema: Record<string, unknown>) => ({ ...schema, type: [schema.type as string, 'null'] })
const text = { type: 'string' }
const textPart = { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text } }
const refusalPart = { type: 'object', required: ['type', 'refusal'], properties: { type: { const: 'refusal' }, refusal: text } }
const imagePart = {
  type: 'object',
  required: ['type', 'image_url'],
  properties: {
    type: { const: 'image_url' },
    image_url: { type: 'object', required: ['url'], properties: { url: text, detail: { enum: ['auto', 'low', 'high'] } } },
  },
}
const audioPart = {
  type: 'object',
  required: ['type', 'input_audio'],
  properties: {
    type: { const: 'input_audio' },
    input_audio: { type: 'object', required: ['data', 'format'], properties: { data: text, format: { enum: ['wav', 'mp3'] } } },
  },
}
const filePart = {
  type: 'object',
  required: ['type', 'file'],
  properties: { type: { const: 'file' }, file: { type: 'object', properties: { file_data: text, file_id: text, filename: text } } },
}

/** An array of content parts (with `type: [..., 'array']` beside it), told apart by `type`: a wrong one is reported at `….type`. */
const parts = (...oneOf: object[]) => ({
  minItems: 1,
  items: { type: 'object', required: ['type'], discriminator: { propertyName: 'type' }, oneOf },
})
const textContent = { type: ['string', 'array'], ...parts(textPart) }

const toolCall = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    {
      type: 'object',
      required: ['id', 'type', 'function'],
      properties: {
        id: text,
        type: { const: 'function' },
        function: { type: 'object', required: ['name', 'arguments'], properties: { name: text, arguments: text } },
      },
    },
    {
      type: 'object',
      required: ['id', 'type', 'custom'],
      properties: { id: text, type: { const: 'custom' }, custom: { type: 'object', required: ['name', 'input'], properties: { name: text, input: text } } },
    },
  ],
}

const message = {
  type: 'object',
  required: ['role'],
  discriminator: { propertyName: 'role' },
  oneOf: [
    { required: ['role', 'content'], properties: { role: { const: 'system' }, content: textContent, name: text } },
    { required: ['role', 'content'], properties: { role: { const: 'developer' }, content: textContent, name: text } },
    {
      required: ['role', 'content'],
      properties: { role: { const: 'user' }, content: { type: ['string', 'array'], ...parts(textPart, imagePart, audioPart, filePart) }, name: text },
    },
    {
      properties: {
        role: { const: 'assistant' },
        content: { type: ['string', 'array', 'null'], ...parts(textPart, refusalPart) },
        refusal: nullable(text),
        tool_calls: { type: 'array', items: toolCall },
        name: text,
        function_call: { type: ['object', 'null'], required: ['name', 'arguments'], properties: { name: text, arguments: text } },
      },
    },
    { required: ['role', 'content', 'tool_call_id'], properties: { role: { const: 'tool' }, content: textContent, tool_call_id: text } },
    { required: ['role', 'content', 'name'], properties: { role: { const: 'function' }, content: nullable(text), name: text } },
  ],
}

const functionDefinition = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, description: text, parameters: { type: 'object' }, strict: { type: ['boolean', 'null'] } },
}

const tool = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    { required: ['type', 'function'], properties: { type: { const: 'function' }, function: functionDefinition } },
    {
      required: ['type', 'custom'],
      properties: { type: { const: 'custom' }, custom: { type: 'object', required: ['name'], properties: { name: text, description: text, format: { type: 'object' } } } },
    },
  ],
}

const named = { type: 'object', required: ['name'], properties: { name: text } }
const toolChoice = {
  anyOf: [
    { enum: ['none', 'auto', 'required'] },
    {
      type: 'object',
      required: ['type'],
      discriminator: { propertyName: 'type' },
      oneOf: [
        { required: ['type', 'function'], properties: { type: { const: 'function' }, function: named } },
        { required: ['type', 'custom'], properties: { type: { const: 'custom' }, custom: named } },
        {
          required: ['type', 'allowed_tools'],
          properties: {
            type: { const: 'allowed_tools' },
            allowed_tools: { type: 'object', required: ['mode', 'tools'], properties: { mode: { enum: ['auto', 'required'] }, tools: { type: 'array', items: { type: 'object' } } } },
          },
        },
      ],
    },
  ],
}

const responseFormat = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    { properties: { type: { const: 'text' } } },
    { properties: { type: { const: 'json_object' } } },
    {
      required: ['type', 'json_schema'],
      properties: {
        type: { const: 'json_schema' },
        json_schema: { type: 'object', required: ['name'], properties: { name: text, description: text, schema: { type: 'object' }, strict: { type: ['boolean', 'null'] } } },
      },
    },
  ],
}

const positiveInteger = { type: ['integer', 'null'], minimum: 1 }
const model = { type: 'string', minLength: 1 }

const chatSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model,
    messages: { type: 'array', minItems: 1, items: message },
    max_tokens: positiveInteger,
    max_completion_tokens: positiveInteger,
    temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
    top_p: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 128 },
    stop: { type: ['string', 'array', 'null'], items: text, maxItems: 4 },
    stream: { type: ['boolean', 'null'] },
    stream_options: { type: ['object', 'null'], properties: { include_usage: { type: 'boolean' }, include_obfuscation: { type: 'boolean' } } },
    tools: { type: 'array', items: tool },
    tool_choice: toolChoice,
    parallel_tool_calls: { type: 'boolean' },
    user: text,
    safety_identifier: nullable(text),
    prompt_cache_key: nullable(text),
    response_format: responseFormat,
    frequency_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
    presence_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
    logit_bias: { type: ['object', 'null'], additionalProperties: { type: 'number', minimum: -100, maximum: 100 } },
    logprobs: { type: ['boolean', 'null'] },
    top_logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 20 },
    seed: { type: ['integer', 'null'] },
    reasoning_effort: nullable(text),
    verbosity: { enum: ['low', 'medium', 'high', null] },
    modalities: { type: ['array', 'null'], items: { enum: ['text', 'audio'] } },
    prediction: { type: ['object', 'null'] },
    web_search_options: { type: 'object' },
    service_tier: nullable(text),
    store: { type: ['boolean', 'null'] },
    metadata: { type: ['object', 'null'], additionalProperties: text },
    functions: { type: 'array', items: functionDefinition },
    function_call: { anyOf: [{ enum: ['none', 'auto'] }, named] },
  },
}

/** The most vectors one embeddings request may ask for, and the most dimensions each: OpenAI's limits, with room. */
const MAX_EMBEDDING_INPUTS = 2048
const MAX_EMBEDDING_DIMENSIONS = 65_536

const tokenIds = { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } }
const embeddingsSchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model,
    input: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, maxItems: MAX_EMBEDDING_INPUTS, items: { type: 'string', minLength: 1 } },
        tokenIds,
        { type: 'array', minItems: 1, maxItems: MAX_EMBEDDING_INPUTS, items: tokenIds },
      ],
    },
    encoding_format: { enum: ['float', 'base64'] },
    dimensions: { type: 'integer', minimum: 1, maximum: MAX_EMBEDDING_DIMENSIONS },
    user: text,
  },
}

// `verbose` puts each failing schema on its error (only when one fails), to name the allowed values.
const ajv = new Ajv({ discriminator: true, allowUnionTypes: true, strictRequired: false, verbose: true })
const validators = {
  chat: ajv.compile<ChatCompletionRequest>(chatSchema),
  embeddings: ajv.compile<EmbeddingsRequest>(embeddingsSchema),
} satisfies Record<string, ValidateFunction>

/** A JSON pointer of ajv's (`/messages/0/content`) as OpenAI names a param (`messages[0].content`). */
function paramOf(error: ErrorObject): string {
  let param = ''
  for (const token of error.instancePath.split('/').slice(1)) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~')
    param += /^\d+$/.test(key) ? `[${key}]` : param ? `.${key}` : key
  }
  const child = error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : error.keyword === 'discriminator' ? (error.params as { tag: string }).tag : ''
  return child ? (param ? `${param}.${child}` : child) : param
}

/** The values a discriminator error's tag may take (`role`: system, developer, …). */
function allowedTags(error: ErrorObject): string[] {
  const { tag } = error.params as { tag: string }
  const branches = ((error.parentSchema as { oneOf?: Array<{ properties?: Record<string, { const?: string }> }> }).oneOf ?? [])
  return branches.map((branch) => branch.properties?.[tag]?.const).filter((value): value is string => value !== undefined)
}

/**
 * INVALID_REQUEST, with `param` naming the field, unless `body` has the shape
 * of a chat completions or embeddings request. Where a field may take several
 * shapes (`input`, `tool_choice`), the field itself is named.
 */
export function validateRequest(kind: keyof typeof validators, body: unknown): void {
  const validate = validators[kind]
  if (validate(body)) return
  const errors = validate.errors ?? []
  const error = errors.find((e) => e.keyword === 'anyOf') ?? errors[0]!
  const param = paramOf(error)
  const problem =
    error.keyword === 'anyOf' ? 'does not have one of the allowed shapes' : error.keyword === 'discriminator' ? `must be one of ${allowedTags(error).join(', ')}` : error.message
  const subject = error.keyword === 'required' || error.keyword === 'discriminator' ? param : param || 'the body'
  throw new GatewayError('INVALID_REQUEST', `invalid request: ${subject} ${error.keyword === 'required' ? 'is required' : problem}`, undefined, { param: param || undefined })
}
