import { describe, it, expect } from 'vitest'
import OpenAI from 'openai'
import type { ChatCompletion as OpenAIChatCompletion, ChatCompletionChunk as OpenAIChatCompletionChunk } from 'openai/resources/chat/completions'
import {
  AnthropicStreamTranslator,
  TRANSLATE_ERRORS,
  fromAnthropicError,
  fromAnthropicResponse,
  toAnthropicRequest,
  type AnthropicMessagesResponse,
  type AnthropicStreamEvent,
} from './anthropic-translate.js'
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatFunctionToolCall,
  ChatMessage,
  FinishReason,
  Usage,
} from '../openai-types.js'
import { SseSplitter } from '../sse.js'

const options = { defaultMaxTokens: 1024 }
const MODEL = 'claude-sonnet-4-5-20250929'

function request(messages: ChatMessage[], extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: 'claude-sonnet', messages, ...extra }
}

function translate(messages: ChatMessage[], extra: Partial<ChatCompletionRequest> = {}) {
  return toAnthropicRequest(request(messages, extra), MODEL, options)
}

/** The error `fn` throws, for asserting on its `code`. */
function thrownBy(fn: () => unknown): { name: string; code: string; message: string; cause?: unknown } {
  try {
    fn()
  } catch (error) {
    return error as { name: string; code: string; message: string; cause?: unknown }
  }
  throw new Error('expected the call to throw')
}

const PNG_DATA = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
}

describe('toAnthropicRequest', () => {
  it('sends a lone user string as string content, with the given model and the default max_tokens', () => {
    expect(translate([{ role: 'user', content: 'Hello' }])).toEqual({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Hello' }],
    })
  })

  it('moves system and developer messages into one top-level system, joined by a blank line', () => {
    const body = translate([
      { role: 'system', content: 'You are terse.' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in ' }, { type: 'text', text: 'French.' }] },
      { role: 'user', content: 'Hi' },
      { role: 'system', content: 'Never mention the weather.' },
    ])
    expect(body.system).toBe('You are terse.\n\nAnswer in French.\n\nNever mention the weather.')
    expect(body.messages).toEqual([{ role: 'user', content: 'Hi' }])
  })

  it('omits system when the system messages are blank', () => {
    expect(translate([{ role: 'system', content: '  ' }, { role: 'user', content: 'Hi' }])).not.toHaveProperty('system')
  })

  it('prefers max_completion_tokens, then max_tokens, then the default', () => {
    const hi: ChatMessage[] = [{ role: 'user', content: 'Hi' }]
    expect(translate(hi, { max_completion_tokens: 50, max_tokens: 70 }).max_tokens).toBe(50)
    expect(translate(hi, { max_tokens: 70 }).max_tokens).toBe(70)
    expect(translate(hi, { max_tokens: null }).max_tokens).toBe(1024)
  })

  it('passes temperature, top_p, stop, stream and user (as metadata.user_id)', () => {
    const body = translate([{ role: 'user', content: 'Hi' }], { temperature: 0.2, top_p: 0.9, stop: 'END', stream: true, user: 'user-42' })
    expect(body).toMatchObject({ temperature: 0.2, top_p: 0.9, stop_sequences: ['END'], stream: true, metadata: { user_id: 'user-42' } })
    expect(translate([{ role: 'user', content: 'Hi' }], { stop: ['a', 'b'] }).stop_sequences).toEqual(['a', 'b'])
  })

  it('takes safety_identifier over user for metadata.user_id', () => {
    expect(translate([{ role: 'user', content: 'Hi' }], { user: 'old', safety_identifier: 'new' }).metadata).toEqual({ user_id: 'new' })
  })

  it('leaves out parameters that are null, false or empty', () => {
    const body = translate([{ role: 'user', content: 'Hi' }], { temperature: null, top_p: null, stop: [], stream: false, tools: [] })
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model'])
  })

  it('translates text and image parts: data URLs to base64 sources, http(s) URLs to url sources', () => {
    const body = translate([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these images?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_DATA}`, detail: 'high' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ])
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these images?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_DATA } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ])
  })

  it('translates an inline PDF file part into a document block', () => {
    const body = translate([
      { role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQK', filename: 'report.pdf' } }] },
    ])
    expect(body.messages[0]!.content).toEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' }, title: 'report.pdf' },
    ])
  })

  it.each([
    ['a data URL that is not base64', 'data:image/png,rawbytes', 'INVALID_PARAMETER'],
    ['an image type Anthropic does not read', 'data:image/tiff;base64,AAAA', 'UNSUPPORTED_PARAMETER'],
    ['a URL scheme other than http(s) and data', 'ftp://example.com/cat.png', 'UNSUPPORTED_PARAMETER'],
  ])('rejects %s as an image', (_, url, code) => {
    const error = thrownBy(() => translate([{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }]))
    expect(error).toMatchObject({ name: 'PlugboardError', code })
    expect(error.message).toContain('messages[0].content[0]')
  })

  it('merges consecutive messages of the same role, since Anthropic requires alternation', () => {
    const body = translate([
      { role: 'user', content: 'First' },
      { role: 'user', content: [{ type: 'text', text: 'Second' }] },
      { role: 'assistant', content: 'Reply' },
      { role: 'assistant', content: 'More' },
      { role: 'user', content: 'Third' },
    ])
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'First' }, { type: 'text', text: 'Second' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Reply' }, { type: 'text', text: 'More' }] },
      { role: 'user', content: 'Third' },
    ])
  })

  it('turns assistant tool_calls into tool_use blocks and tool messages into user tool_result blocks', () => {
    const body = translate([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          { id: 'toolu_01B', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01A', content: '18°C, cloudy' },
      { role: 'tool', tool_call_id: 'toolu_01B', content: [{ type: 'text', text: '24°C, sunny' }] },
    ])
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking both.' },
          { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'Paris' } },
          { type: 'tool_use', id: 'toolu_01B', name: 'get_weather', input: { location: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01A', content: '18°C, cloudy' },
          { type: 'tool_result', tool_use_id: 'toolu_01B', content: [{ type: 'text', text: '24°C, sunny' }] },
        ],
      },
    ])
  })

  it('drops the empty text of a tool-calling assistant turn and reads empty arguments as {}', () => {
    const body = translate([
      { role: 'user', content: 'Time?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_01C', type: 'function', function: { name: 'now', arguments: '' } }] },
    ])
    expect(body.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01C', name: 'now', input: {} }] })
  })

  it('puts tool results before user text merged into the same turn', () => {
    const body = translate([
      { role: 'assistant', content: '', tool_calls: [{ id: 'toolu_01D', type: 'function', function: { name: 'now', arguments: '{}' } }] },
      { role: 'user', content: 'Hurry up.' },
      { role: 'tool', tool_call_id: 'toolu_01D', content: '12:00' },
    ])
    expect(body.messages[1]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_01D', content: '12:00' },
        { type: 'text', text: 'Hurry up.' },
      ],
    })
  })

  it('drops whitespace-only text and the turns it leaves empty', () => {
    const body = translate([
      { role: 'user', content: 'One' },
      { role: 'assistant', content: '  ' },
      { role: 'user', content: 'Two' },
    ])
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'One' }, { type: 'text', text: 'Two' }] }])
  })

  it.each([
    ['not JSON', '{"location": Paris}'],
    ['JSON but not an object', '["Paris"]'],
  ])('rejects tool call arguments that are %s', (_, args) => {
    const error = thrownBy(() =>
      translate([{ role: 'assistant', content: null, tool_calls: [{ id: 'toolu_01E', type: 'function', function: { name: 'get_weather', arguments: args } }] }]),
    )
    expect(error.code).toBe('INVALID_PARAMETER')
    expect(error.message).toContain('messages[0].tool_calls[0]')
  })

  it('translates function tools into name, description and input_schema', () => {
    const body = translate([{ role: 'user', content: 'Hi' }], {
      tools: [weatherTool, { type: 'function', function: { name: 'now' } }],
    })
    expect(body.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Current weather for a city',
        input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
      },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ])
  })

  it.each([
    ['auto', { type: 'auto' }],
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { type: 'tool', name: 'get_weather' }],
  ] as const)('maps tool_choice %j to %j', (choice, expected) => {
    expect(translate([{ role: 'user', content: 'Hi' }], { tools: [weatherTool], tool_choice: choice }).tool_choice).toEqual(expected)
  })

  it('maps parallel_tool_calls: false to disable_parallel_tool_use', () => {
    const hi: ChatMessage[] = [{ role: 'user', content: 'Hi' }]
    expect(translate(hi, { tools: [weatherTool], parallel_tool_calls: false }).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true })
    expect(translate(hi, { tools: [weatherTool], parallel_tool_calls: false, tool_choice: 'required' }).tool_choice).toEqual({
      type: 'any',
      disable_parallel_tool_use: true,
    })
    expect(translate(hi, { tools: [weatherTool] })).not.toHaveProperty('tool_choice')
  })

  it('drops tool_choice auto or none without tools, and rejects one that requires a call', () => {
    const hi: ChatMessage[] = [{ role: 'user', content: 'Hi' }]
    expect(translate(hi, { tool_choice: 'none' })).not.toHaveProperty('tool_choice')
    expect(thrownBy(() => translate(hi, { tool_choice: 'required' })).code).toBe('INVALID_PARAMETER')
  })

  const hi: ChatMessage[] = [{ role: 'user', content: 'Hi' }]
  it.each<[string, ChatCompletionRequest]>([
    ['n > 1', request(hi, { n: 2 })],
    ['logprobs', request(hi, { logprobs: true })],
    ['top_logprobs', request(hi, { top_logprobs: 3 })],
    ['logit_bias', request(hi, { logit_bias: { '50256': -100 } })],
    ['response_format json_object', request(hi, { response_format: { type: 'json_object' } })],
    ['response_format json_schema', request(hi, { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } })],
    ['audio output', request(hi, { modalities: ['text', 'audio'], audio: { format: 'mp3', voice: 'alloy' } })],
    ['web_search_options', request(hi, { web_search_options: {} })],
    ['legacy functions', request(hi, { functions: [{ name: 'f' }] })],
    ['legacy function_call', request(hi, { function_call: 'auto' })],
    ['a custom tool', request(hi, { tools: [{ type: 'custom', custom: { name: 'grep' } }] })],
    ['a custom tool_choice', request(hi, { tools: [weatherTool], tool_choice: { type: 'custom', custom: { name: 'grep' } } })],
    ['an allowed_tools tool_choice', request(hi, { tools: [weatherTool], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } })],
    ['a function message', request([{ role: 'function', name: 'f', content: '1' }])],
    ['an assistant function_call', request([{ role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }])],
    ['a custom tool call', request([{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'grep', input: 'x' } }] }])],
    ['an input_audio part', request([{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }])],
    ['an uploaded file', request([{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }])],
    ['a non-PDF file', request([{ role: 'user', content: [{ type: 'file', file: { file_data: 'data:text/csv;base64,YSxi' } }] }])],
  ])('rejects %s with UNSUPPORTED_PARAMETER (a 400)', (_, body) => {
    const error = thrownBy(() => toAnthropicRequest(body, MODEL, options))
    expect(error).toMatchObject({ name: 'PlugboardError', code: 'UNSUPPORTED_PARAMETER' })
    expect(TRANSLATE_ERRORS[error.code as keyof typeof TRANSLATE_ERRORS].status).toBe(400)
  })

  it('ignores parameters that are hints without an Anthropic counterpart', () => {
    const plain = translate(hi)
    const hinted = translate(hi, {
      n: 1,
      logprobs: false,
      frequency_penalty: 0.5,
      presence_penalty: 0.5,
      seed: 7,
      reasoning_effort: 'low',
      verbosity: 'low',
      service_tier: 'auto',
      store: false,
      metadata: { app: 'x' },
      prompt_cache_key: 'k',
      stream_options: { include_usage: true },
      response_format: { type: 'text' },
    })
    expect(hinted).toEqual(plain)
  })

  it('rejects a message with an unknown role', () => {
    const error = thrownBy(() => translate([{ role: 'critic', content: 'x' } as unknown as ChatMessage]))
    expect(error.code).toBe('INVALID_PARAMETER')
    expect(error.message).toContain('"critic"')
  })
})

// ------------------------------------------------------------------ responses

const textMessage: AnthropicMessagesResponse = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'text', text: 'The capital of France is Paris. ' },
    { type: 'text', text: 'It has been the capital since 987 — más o menos. 🇫🇷' },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 25, output_tokens: 31, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
}

const toolMessage: AnthropicMessagesResponse = {
  id: 'msg_014p7gG3wDgGV9EUtLvnow3U',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'text', text: 'Let me check the weather in both cities.' },
    { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: { location: 'San Francisco, CA', unit: 'celsius' } },
    { type: 'tool_use', id: 'toolu_01SdKJf7pw7xDxYy9Kfug6RQ', name: 'get_weather', input: { location: 'New York, NY', days: [1, 2], nested: { quote: 'say "hi"' } } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 472, output_tokens: 89 },
}

describe('fromAnthropicResponse', () => {
  it('joins text blocks into content, with the requested model, a chatcmpl id and usage', () => {
    const before = Math.floor(Date.now() / 1000)
    const completion = fromAnthropicResponse(textMessage, 'claude-sonnet')
    expect(completion).toEqual({
      id: 'chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL',
      object: 'chat.completion',
      created: completion.created,
      model: 'claude-sonnet',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'The capital of France is Paris. It has been the capital since 987 — más o menos. 🇫🇷', refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 25, completion_tokens: 31, total_tokens: 56, prompt_tokens_details: { cached_tokens: 0 } },
    })
    expect(completion.created).toBeGreaterThanOrEqual(before)
    expect(completion.created).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000))
  })

  it('turns tool_use blocks into tool_calls with JSON arguments', () => {
    const completion = fromAnthropicResponse(toolMessage, 'claude-sonnet')
    expect(completion.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: 'Let me check the weather in both cities.',
        refusal: null,
        tool_calls: [
          {
            id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
          },
          {
            id: 'toolu_01SdKJf7pw7xDxYy9Kfug6RQ',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"New York, NY","days":[1,2],"nested":{"quote":"say \\"hi\\""}}' },
          },
        ],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    })
    expect(completion.usage).toEqual({ prompt_tokens: 472, completion_tokens: 89, total_tokens: 561 })
  })

  it('gives null content when the answer only calls tools, and drops thinking blocks', () => {
    const completion = fromAnthropicResponse(
      {
        ...toolMessage,
        content: [
          { type: 'thinking', thinking: 'The user wants the time.', signature: 'EqQBCgIYAhIM' },
          { type: 'redacted_thinking', data: 'EmwKAhgBEgy3' },
          { type: 'tool_use', id: 'toolu_01X', name: 'now', input: {} },
        ],
      },
      'claude-sonnet',
    )
    expect(completion.choices[0]!.message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [{ id: 'toolu_01X', type: 'function', function: { name: 'now', arguments: '{}' } }],
    })
  })

  it.each<[AnthropicMessagesResponse['stop_reason'], FinishReason]>([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
    ['model_context_window_exceeded', 'length'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finishReason) => {
    expect(fromAnthropicResponse({ ...textMessage, stop_reason: stopReason }, 'm').choices[0]!.finish_reason).toBe(finishReason)
  })

  it('counts cached prompt tokens in prompt_tokens and reports the cache reads', () => {
    const completion = fromAnthropicResponse(
      { ...textMessage, usage: { input_tokens: 10, cache_creation_input_tokens: 200, cache_read_input_tokens: 1000, output_tokens: 5 } },
      'm',
    )
    expect(completion.usage).toEqual({ prompt_tokens: 1210, completion_tokens: 5, total_tokens: 1215, prompt_tokens_details: { cached_tokens: 1000 } })
  })

  it('produces a completion the openai client types accept', () => {
    const completion: OpenAIChatCompletion = fromAnthropicResponse(toolMessage, 'claude-sonnet')
    expect(completion.object).toBe('chat.completion')
  })
})

// -------------------------------------------------------------------- streams

/** The event sequence Anthropic streams for `message`, text and JSON cut in `size`-character fragments. */
function anthropicEvents(message: AnthropicMessagesResponse, size = 5): Array<{ event: string; data: string }> {
  const pieces = (text: string): string[] => text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'gu')) ?? []
  const events: AnthropicStreamEvent[] = [
    {
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...message.usage, output_tokens: 1 } },
    },
    { type: 'ping' },
  ]
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } })
      for (const text of pieces(block.text)) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } })
    } else if (block.type === 'tool_use') {
      events.push({ type: 'content_block_start', index, content_block: { ...block, input: {} } })
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } })
      for (const partial_json of pieces(JSON.stringify(block.input))) {
        events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } })
      }
    }
    events.push({ type: 'content_block_stop', index })
  })
  events.push({
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence },
    usage: { output_tokens: message.usage.output_tokens },
  })
  events.push({ type: 'message_stop' })
  return events.map((data) => ({ event: data.type, data: JSON.stringify(data) }))
}

/** Folds chunks back into one completion, as a client does. */
function reassemble(chunks: ChatCompletionChunk[]): ChatCompletion {
  const first = chunks[0]!
  let content: string | null = null
  let finishReason: FinishReason | null = null
  let usage: Usage | undefined
  const toolCalls: ChatFunctionToolCall[] = []
  for (const chunk of chunks) {
    expect(chunk).toMatchObject({ id: first.id, object: 'chat.completion.chunk', created: first.created, model: first.model })
    if (chunk.usage) usage = chunk.usage
    for (const { delta, finish_reason } of chunk.choices) {
      if (delta.content != null) content = (content ?? '') + delta.content
      for (const call of delta.tool_calls ?? []) {
        toolCalls[call.index] ??= { id: call.id!, type: 'function', function: { name: call.function!.name!, arguments: '' } }
        toolCalls[call.index]!.function.arguments += call.function?.arguments ?? ''
      }
      if (finish_reason) finishReason = finish_reason
    }
  }
  return {
    id: first.id,
    object: 'chat.completion',
    created: first.created,
    model: first.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: finishReason!,
        logprobs: null,
      },
    ],
    ...(usage ? { usage } : {}),
  }
}

function translateAll(translator: AnthropicStreamTranslator, events: Array<{ event: string; data: string }>): ChatCompletionChunk[] {
  return events.flatMap((event) => translator.translate(event))
}

const event = (data: AnthropicStreamEvent) => ({ event: data.type, data: JSON.stringify(data) })
const messageStart = event({
  type: 'message_start',
  message: {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 25, output_tokens: 1 },
  },
})

/** A tool-using answer as Anthropic streams it, raw SSE, with a text block before the tool block. */
const RAW_TOOL_STREAM = `event: message_start
data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", let's check the weather for San Francisco, CA:"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\":"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \\"San"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" Francisc"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"o,"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" CA\\""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":", "}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\"unit\\": \\"fah"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"renheit\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

`

describe('AnthropicStreamTranslator', () => {
  it('opens with a role chunk on message_start, with the chatcmpl id, requested model and given created', () => {
    const translator = new AnthropicStreamTranslator({ model: 'claude-sonnet', includeUsage: false, created: 1_700_000_000 })
    expect(translator.translate(messageStart)).toEqual([
      {
        id: 'chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'claude-sonnet',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }],
      },
    ])
    expect(translator.usage).toEqual({ promptTokens: 25, completionTokens: 1 })
  })

  it('uses the id it is given', () => {
    const translator = new AnthropicStreamTranslator({ id: 'chatcmpl-gateway-1', model: 'm', includeUsage: false })
    expect(translator.translate(messageStart)[0]!.id).toBe('chatcmpl-gateway-1')
  })

  it('turns text deltas into content chunks and gives nothing for ping, empty text block starts and block stops', () => {
    const translator = new AnthropicStreamTranslator({ model: 'm', includeUsage: false })
    translator.translate(messageStart)
    expect(translator.translate(event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }))).toEqual([])
    expect(translator.translate({ event: 'ping', data: '{"type": "ping"}' })).toEqual([])
    const [chunk, ...rest] = translator.translate(event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }))
    expect(rest).toEqual([])
    expect(chunk!.choices).toEqual([{ index: 0, delta: { content: 'Hello' }, finish_reason: null, logprobs: null }])
    expect(translator.translate(event({ type: 'content_block_stop', index: 0 }))).toEqual([])
  })

  it('turns message_delta into the finish_reason chunk and records output usage', () => {
    const translator = new AnthropicStreamTranslator({ model: 'm', includeUsage: false })
    translator.translate(messageStart)
    const [chunk] = translator.translate(
      event({ type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 15 } }),
    )
    expect(chunk!.choices).toEqual([{ index: 0, delta: {}, finish_reason: 'length', logprobs: null }])
    expect(translator.usage).toEqual({ promptTokens: 25, completionTokens: 15 })
  })

  it('ends with a usage chunk (choices: []) when includeUsage, every other chunk carrying usage: null', () => {
    const translator = new AnthropicStreamTranslator({ model: 'm', includeUsage: true })
    const chunks = translateAll(translator, anthropicEvents(textMessage))
    const last = chunks.at(-1)!
    expect(last.choices).toEqual([])
    expect(last.usage).toEqual({ prompt_tokens: 25, completion_tokens: 31, total_tokens: 56, prompt_tokens_details: { cached_tokens: 0 } })
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true)
    expect(translator.done).toBe(true)
  })

  it('sends no usage chunk and no usage field without includeUsage, and is done only after message_stop', () => {
    const translator = new AnthropicStreamTranslator({ model: 'm', includeUsage: false })
    const events = anthropicEvents(textMessage)
    const chunks = translateAll(translator, events.slice(0, -1))
    expect(translator.done).toBe(false)
    expect(translator.translate(events.at(-1)!)).toEqual([])
    expect(translator.done).toBe(true)
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true)
  })

  it('reassembles a streamed text answer into the non-streamed translation of the same message', () => {
    const expected = fromAnthropicResponse(textMessage, 'claude-sonnet')
    for (const size of [1, 3, 1000]) {
      const translator = new AnthropicStreamTranslator({ model: 'claude-sonnet', includeUsage: true, created: expected.created })
      expect(reassemble(translateAll(translator, anthropicEvents(textMessage, size)))).toEqual(expected)
    }
  })

  it('reassembles a streamed text-and-tools answer into the non-streamed translation', () => {
    const expected = fromAnthropicResponse(toolMessage, 'claude-sonnet')
    const translator = new AnthropicStreamTranslator({ model: 'claude-sonnet', includeUsage: true, created: expected.created })
    expect(reassemble(translateAll(translator, anthropicEvents(toolMessage, 4)))).toEqual(expected)
  })

  it('streams a tool call whose argument fragments concatenate to valid JSON, indexed among tool calls', () => {
    const translator = new AnthropicStreamTranslator({ model: 'claude-sonnet', includeUsage: false })
    const chunks = new SseSplitter().push(Buffer.from(RAW_TOOL_STREAM)).flatMap(({ event }) => translator.translate(event))
    expect(translator.done).toBe(true)
    const toolChunks = chunks.filter((chunk) => chunk.choices[0]?.delta.tool_calls)
    expect(toolChunks[0]!.choices[0]!.delta).toEqual({
      tool_calls: [{ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } }],
    })
    const fragments = toolChunks.slice(1).map((chunk) => chunk.choices[0]!.delta.tool_calls![0]!)
    expect(fragments.every((fragment) => fragment.index === 0 && fragment.id === undefined)).toBe(true)
    expect(fragments).toHaveLength(8) // the empty first fragment gives no chunk
    expect(JSON.parse(fragments.map((fragment) => fragment.function!.arguments).join(''))).toEqual({
      location: 'San Francisco, CA',
      unit: 'fahrenheit',
    })
    const completion = reassemble(chunks)
    expect(completion.choices[0]).toMatchObject({ message: { content: "Okay, let's check the weather for San Francisco, CA:" }, finish_reason: 'tool_calls' })
    expect(translator.usage).toEqual({ promptTokens: 472, completionTokens: 89 })
  })

  it('sends {} as the arguments of a tool call that streamed none', () => {
    const translator = new AnthropicStreamTranslator({ model: 'm', includeUsage: false })
    translator.translate(messageStart)
    translator.translate(event({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_01N', name: 'now', input: {} } }))
    translator.translate(event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } }))
    const [chunk] = translator.translate(event({ type: 'content_block_stop', index: 0 }))
    expect(chunk!.choices[0]!.delta).toEqual({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] })
  })

  it('ignores thinking blocks and unknown event types', () => {
    const translator = new AnthropicStreamTranslator({ model: 'm', includeUsage: false })
    translator.translate(messageStart)
    expect(translator.translate(event({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }))).toEqual([])
    expect(translator.translate(event({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm' } }))).toEqual([])
    expect(translator.translate(event({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'Eq' } }))).toEqual([])
    expect(translator.translate({ event: 'future_event', data: '{"type":"future_event","x":1}' })).toEqual([])
  })

  it('throws UPSTREAM_STREAM_ERROR with the upstream message on an error event', () => {
    const translator = new AnthropicStreamTranslator({ model: 'm', includeUsage: false })
    translator.translate(messageStart)
    const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }
    const error = thrownBy(() => translator.translate({ event: 'error', data: JSON.stringify(body) }))
    expect(error).toMatchObject({ name: 'PlugboardError', code: 'UPSTREAM_STREAM_ERROR', cause: body })
    expect(error.message).toContain('Overloaded')
    expect(fromAnthropicError(502, error.cause)).toEqual({ message: 'Overloaded', type: 'server_error' })
  })

  it('throws UPSTREAM_STREAM_ERROR for data that is not a JSON event, or content before message_start', () => {
    const translator = new AnthropicStreamTranslator({ model: 'm', includeUsage: false })
    expect(thrownBy(() => translator.translate({ event: 'message_start', data: '{"type":"mess' })).code).toBe('UPSTREAM_STREAM_ERROR')
    expect(thrownBy(() => translator.translate({ event: 'message', data: '[1,2]' })).code).toBe('UPSTREAM_STREAM_ERROR')
    const early = event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } })
    expect(thrownBy(() => translator.translate(early)).code).toBe('UPSTREAM_STREAM_ERROR')
  })

  it('produces chunks the openai client types accept', () => {
    const chunks: OpenAIChatCompletionChunk[] = translateAll(new AnthropicStreamTranslator({ model: 'm', includeUsage: true }), anthropicEvents(toolMessage))
    expect(chunks.length).toBeGreaterThan(0)
  })
})

// ------------------------------------------------------- the official client

/**
 * An OpenAI client whose fetch plays the gateway in-process: it translates the
 * request, checks it, and answers from `upstream` translated back (as JSON or SSE).
 */
function clientAgainst(upstream: AnthropicMessagesResponse, seen: { body?: unknown } = {}): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test',
    baseURL: 'http://gateway.invalid/v1',
    maxRetries: 0,
    fetch: async (_url, init) => {
      const openaiRequest = JSON.parse(String(init?.body)) as ChatCompletionRequest
      seen.body = toAnthropicRequest(openaiRequest, MODEL, options)
      if (!openaiRequest.stream) {
        return Response.json(fromAnthropicResponse(upstream, openaiRequest.model))
      }
      const translator = new AnthropicStreamTranslator({ model: openaiRequest.model, includeUsage: openaiRequest.stream_options?.include_usage === true })
      let sse = ''
      for (const upstreamEvent of anthropicEvents(upstream, 3)) {
        for (const chunk of translator.translate(upstreamEvent)) sse += `data: ${JSON.stringify(chunk)}\n\n`
        if (translator.done) sse += 'data: [DONE]\n\n'
      }
      return new Response(sse, { headers: { 'content-type': 'text/event-stream' } })
    },
  })
}

describe('the official openai client through the translation', () => {
  it('reads a non-streamed tool-calling answer', async () => {
    const seen: { body?: unknown } = {}
    const before = Math.floor(Date.now() / 1000)
    const completion = await clientAgainst(toolMessage, seen).chat.completions.create({
      model: 'claude-sonnet',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [weatherTool],
    })
    // `created` is the clock's second when the answer was translated, which a second translation here may not share.
    const expected = fromAnthropicResponse(toolMessage, 'claude-sonnet')
    expect(completion).toEqual({ ...expected, created: completion.created })
    expect(completion.created).toBeGreaterThanOrEqual(before)
    expect(completion.created).toBeLessThanOrEqual(expected.created)
    expect(seen.body).toMatchObject({ model: MODEL, tools: [{ name: 'get_weather' }] })
  })

  it('accumulates a streamed answer with tool calls into the non-streamed one', async () => {
    const stream = clientAgainst(toolMessage).chat.completions.stream({
      model: 'claude-sonnet',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [weatherTool],
      stream_options: { include_usage: true },
    })
    const final = await stream.finalChatCompletion()
    const expected = fromAnthropicResponse(toolMessage, 'claude-sonnet')
    expect(final.choices[0]!.message).toMatchObject(expected.choices[0]!.message)
    expect(final.choices[0]!.finish_reason).toBe('tool_calls')
    expect(final.usage).toEqual(expected.usage)
    expect(final.id).toBe(expected.id)
  })

  it('iterates streamed text chunks ending in a usage chunk', async () => {
    const stream = await clientAgainst(textMessage).chat.completions.create({
      model: 'claude-sonnet',
      messages: [{ role: 'user', content: 'Capital of France?' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage: OpenAIChatCompletionChunk['usage']
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      usage = chunk.usage ?? usage
    }
    expect(text).toBe(fromAnthropicResponse(textMessage, 'm').choices[0]!.message.content)
    expect(usage).toMatchObject({ prompt_tokens: 25, completion_tokens: 31 })
  })
})

// --------------------------------------------------------------------- errors

describe('fromAnthropicError', () => {
  it.each([
    [400, 'invalid_request_error', 'invalid_request_error'],
    [401, 'authentication_error', 'authentication_error'],
    [402, 'billing_error', 'insufficient_quota'],
    [403, 'permission_error', 'permission_error'],
    [404, 'not_found_error', 'invalid_request_error'],
    [413, 'request_too_large', 'invalid_request_error'],
    [429, 'rate_limit_error', 'rate_limit_error'],
    [500, 'api_error', 'server_error'],
    [504, 'timeout_error', 'server_error'],
    [529, 'overloaded_error', 'server_error'],
  ])('maps HTTP %i %s to type %s, keeping the message', (status, anthropicType, openaiType) => {
    const body = { type: 'error', error: { type: anthropicType, message: 'max_tokens: Field required' }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' }
    expect(fromAnthropicError(status, body)).toEqual({ message: 'max_tokens: Field required', type: openaiType })
  })

  it('reads a body given as raw JSON text', () => {
    const raw = '{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}'
    expect(fromAnthropicError(429, raw)).toEqual({ message: 'Number of request tokens has exceeded your per-minute rate limit', type: 'rate_limit_error' })
  })

  it.each([
    [502, '<html>Bad Gateway</html>', { message: 'Anthropic answered HTTP 502: <html>Bad Gateway</html>', type: 'server_error' }],
    [401, undefined, { message: 'Anthropic answered HTTP 401 without an error message.', type: 'authentication_error' }],
    [403, {}, { message: 'Anthropic answered HTTP 403 without an error message.', type: 'permission_error' }],
    [429, '', { message: 'Anthropic answered HTTP 429 without an error message.', type: 'rate_limit_error' }],
    [418, { error: { type: 'teapot_error', message: 'short and stout' } }, { message: 'short and stout', type: 'invalid_request_error' }],
  ])('falls back on the status for HTTP %i with body %j', (status, body, expected) => {
    expect(fromAnthropicError(status, body)).toEqual(expected)
  })
})
