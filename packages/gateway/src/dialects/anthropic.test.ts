import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Anthropic from '@anthropic-ai/sdk'
import { describe, expect, it } from 'vitest'
import { GatewayError } from '../errors.js'
import type { ChatCompletion, ChatCompletionChunk } from '../openai-types.js'
import { anthropicMessages } from './anthropic.js'

function invalidParam(body: Record<string, unknown>): string | null {
  try {
    anthropicMessages.toCanonical(body)
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError)
    expect((error as GatewayError).code).toBe('INVALID_REQUEST')
    expect((error as GatewayError).status).toBe(400)
    return (error as GatewayError).param
  }
  throw new Error('toCanonical accepted the body')
}

const base = { model: 'claude-sonnet-4-5', max_tokens: 1024 }

describe('anthropicMessages.toCanonical', () => {
  it('translates a prompt-caching request: system blocks with cache_control, metadata, stop sequences, stream', () => {
    // The shape of the prompt caching example in Anthropic's docs.
    const request = anthropicMessages.toCanonical({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: [
        { type: 'text', text: 'You are an AI assistant tasked with analyzing literary works.' },
        { type: 'text', text: '<the entire contents of Pride and Prejudice>', cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Analyze the major themes.', cache_control: { type: 'ephemeral', ttl: '5m' } }] }],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['\n\nHuman:'],
      metadata: { user_id: 'user-42' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      service_tier: 'auto',
      stream: true,
    })
    expect(request).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [
        {
          role: 'system',
          content: [
            { type: 'text', text: 'You are an AI assistant tasked with analyzing literary works.' },
            { type: 'text', text: '<the entire contents of Pride and Prejudice>' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'Analyze the major themes.' }] },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\nHuman:'],
      user: 'user-42',
      stream: true,
      stream_options: { include_usage: true },
    })
  })

  it('translates a multi-turn tool use conversation with tool choice', () => {
    // The get_weather example of Anthropic's tool use docs, second request.
    const request = anthropicMessages.toCanonical({
      ...base,
      system: 'Be brief.',
      tools: [
        {
          name: 'get_weather',
          description: 'Get the current weather in a given location',
          input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
          cache_control: { type: 'ephemeral' },
        },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: 'What is the weather like in San Francisco and Paris?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'I will check both.' },
            { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'San Francisco, CA' } },
            { type: 'tool_use', id: 'toolu_01B', name: 'get_weather', input: { location: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01A', content: '15 degrees' },
            { type: 'tool_result', tool_use_id: 'toolu_01B', content: [{ type: 'text', text: 'Service' }, { type: 'text', text: 'down' }], is_error: true },
            { type: 'text', text: 'Thanks!' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01C', name: 'get_weather', input: {} }] },
      ],
    })
    expect(request).toEqual({
      ...base,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is the weather like in San Francisco and Paris?' },
        {
          role: 'assistant',
          content: 'I will check both.',
          tool_calls: [
            { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA"}' } },
            { id: 'toolu_01B', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A', content: '15 degrees' },
        { role: 'tool', tool_call_id: 'toolu_01B', content: 'Error: Service\ndown' },
        { role: 'user', content: [{ type: 'text', text: 'Thanks!' }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_01C', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Get the current weather in a given location',
            parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
          },
        },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
    })
  })

  it('maps every tool choice', () => {
    const choice = (tool_choice: unknown) => {
      const { tool_choice: out, parallel_tool_calls } = anthropicMessages.toCanonical({ ...base, messages: [{ role: 'user', content: 'hi' }], tool_choice })
      return { out, parallel_tool_calls }
    }
    expect(choice({ type: 'auto' })).toEqual({ out: 'auto', parallel_tool_calls: undefined })
    expect(choice({ type: 'none' })).toEqual({ out: 'none', parallel_tool_calls: undefined })
    expect(choice({ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true })).toEqual({
      out: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    })
  })

  it('translates base64 and URL images and base64 PDFs, and drops replayed thinking', () => {
    const request = anthropicMessages.toCanonical({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/ant.jpg' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'paper.pdf' },
            { type: 'text', text: 'Describe these.' },
          ],
        },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'Hmm.', signature: 'sig' }, { type: 'text', text: 'Two images.' }] },
      ],
    })
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/ant.jpg' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'paper.pdf' } },
          { type: 'text', text: 'Describe these.' },
        ],
      },
      { role: 'assistant', content: 'Two images.' },
    ])
  })

  it('rejects bad bodies with INVALID_REQUEST and the path of the field at fault', () => {
    const user = { role: 'user', content: 'hi' }
    expect(invalidParam({ model: 'm', messages: [user] })).toBe('max_tokens')
    expect(invalidParam({ ...base, max_tokens: 0, messages: [user] })).toBe('max_tokens')
    expect(invalidParam({ ...base, max_tokens: 1.5, messages: [user] })).toBe('max_tokens')
    expect(invalidParam({ max_tokens: 5, messages: [user] })).toBe('model')
    expect(invalidParam({ ...base, model: 7, messages: [user] })).toBe('model')
    expect(invalidParam({ ...base })).toBe('messages')
    expect(invalidParam({ ...base, messages: [] })).toBe('messages')
    expect(invalidParam({ ...base, messages: [user, 'hello'] })).toBe('messages[1]')
    expect(invalidParam({ ...base, messages: [{ role: 'system', content: 'x' }] })).toBe('messages[0].role')
    expect(invalidParam({ ...base, messages: [{ role: 'user', content: 5 }] })).toBe('messages[0].content')
    expect(invalidParam({ ...base, messages: [{ role: 'user', content: [{ type: 'audio', data: '' }] }] })).toBe('messages[0].content[0].type')
    expect(invalidParam({ ...base, messages: [{ role: 'assistant', content: [{ type: 'image', source: {} }] }] })).toBe('messages[0].content[0].type')
    expect(invalidParam({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 3 }] }] })).toBe('messages[0].content[0].text')
    expect(
      invalidParam({
        ...base,
        messages: [
          user,
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'x' }] },
        ],
      }),
    ).toBe('messages[2].content[0].tool_use_id')
    expect(invalidParam({ ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: '{}' }] }] })).toBe(
      'messages[0].content[0].input',
    )
    expect(invalidParam({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: '' } }] }] })).toBe(
      'messages[0].content[0].source.media_type',
    )
    expect(invalidParam({ ...base, system: [{ type: 'image' }], messages: [user] })).toBe('system[0].type')
    expect(invalidParam({ ...base, messages: [user], temperature: '0.5' })).toBe('temperature')
    expect(invalidParam({ ...base, messages: [user], stop_sequences: 'STOP' })).toBe('stop_sequences')
    expect(invalidParam({ ...base, messages: [user], stream: 'yes' })).toBe('stream')
    expect(invalidParam({ ...base, messages: [user], metadata: { user_id: 1 } })).toBe('metadata.user_id')
    expect(invalidParam({ ...base, messages: [user], tools: [{ name: 'f' }] })).toBe('tools[0].input_schema')
    expect(invalidParam({ ...base, messages: [user], tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toBe('tools[0].type')
    expect(invalidParam({ ...base, messages: [user], tool_choice: { type: 'required' } })).toBe('tool_choice.type')
    expect(invalidParam({ ...base, messages: [user], tool_choice: 'auto' })).toBe('tool_choice')
  })
})

const completion: ChatCompletion = {
  id: 'chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL',
  object: 'chat.completion',
  created: 1764676800,
  model: 'claude-sonnet-4-5-20250929',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'I will look that up.',
        refusal: null,
        tool_calls: [{ id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100 } },
}

describe('anthropicMessages.answer().body', () => {
  it('translates a completion with text and a tool call', () => {
    expect(anthropicMessages.answer({ model: 'claude-sonnet-4-5' }).body(completion)).toEqual({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'I will look that up.' },
        { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 100 },
    })
  })

  it('maps finish reasons and gives an empty text block to an empty answer', () => {
    const answer = (finish_reason: string, content: string | null) =>
      anthropicMessages.answer({ model: 'm' }).body({
        ...completion,
        id: 'chatcmpl-abc',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason, logprobs: null }],
      } as ChatCompletion)
    expect(answer('stop', 'Hi')).toMatchObject({ id: 'msg_abc', stop_reason: 'end_turn', content: [{ type: 'text', text: 'Hi' }] })
    expect(answer('length', '')).toMatchObject({ stop_reason: 'max_tokens', content: [{ type: 'text', text: '' }] })
    expect(answer('content_filter', null)).toMatchObject({ stop_reason: 'refusal' })
  })

  it('throws UPSTREAM_INVALID_RESPONSE for what is not a chat completion', () => {
    const answer = anthropicMessages.answer({ model: 'm' })
    for (const bad of [{ object: 'list', data: [] }, { ...completion, choices: [{}] }, null]) {
      expect(() => answer.body(bad as unknown as ChatCompletion)).toThrow(expect.objectContaining({ code: 'UPSTREAM_INVALID_RESPONSE', status: 502 }))
    }
    const badArguments = structuredClone(completion)
    ;(badArguments.choices[0]!.message.tool_calls![0] as { function: { arguments: string } }).function.arguments = '{"loc'
    expect(() => answer.body(badArguments)).toThrow(expect.objectContaining({ code: 'UPSTREAM_INVALID_RESPONSE' }))
  })
})

const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish_reason: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
  id: 'chatcmpl-msg_02',
  object: 'chat.completion.chunk',
  created: 1764676800,
  model: 'claude-sonnet-4-5-20250929',
  choices: [{ index: 0, delta, finish_reason, logprobs: null }],
  usage: null,
})

/** A canonical stream as the anthropic vendor or OpenAI send it: role, text, one tool call in fragments, finish, usage. */
const canonicalStream: ChatCompletionChunk[] = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check.' }),
  chunk({ tool_calls: [{ index: 0, id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: ' "Paris"}' } }] }),
  chunk({}, 'tool_calls'),
  { ...chunk({}), choices: [], usage: { prompt_tokens: 472, completion_tokens: 89, total_tokens: 561 } },
]

function translateStream(chunks: ChatCompletionChunk[]): string {
  const answer = anthropicMessages.answer({ model: 'claude-sonnet-4-5' })
  return chunks.map((c) => answer.chunk(c)).join('') + answer.end()
}

function events(text: string): Array<{ event: string; data: unknown }> {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine, ...rest] = block.split('\n')
      expect(rest).toEqual([])
      expect(eventLine).toMatch(/^event: /)
      expect(dataLine).toMatch(/^data: /)
      const data = JSON.parse(dataLine!.slice('data: '.length)) as { type: string }
      expect(data.type).toBe(eventLine!.slice('event: '.length))
      return { event: data.type, data }
    })
}

describe('anthropicMessages.answer() stream', () => {
  it('gives the Messages event sequence for text, a tool call and usage', () => {
    expect(events(translateStream(canonicalStream)).map(({ data }) => data)).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_02',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
      { type: 'ping' },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'check.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"location":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: ' "Paris"}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 472, output_tokens: 89 } },
      { type: 'message_stop' },
    ])
  })

  it('gives a complete empty message for a stream without content, and one block per parallel tool call', () => {
    expect(events(translateStream([])).map((e) => e.event)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop'])
    const parallel = events(
      translateStream([
        chunk({ tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
        chunk({}, 'length'),
      ]),
    )
    expect(parallel.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ])
    expect(parallel[8]!.data).toMatchObject({ delta: { stop_reason: 'max_tokens' }, usage: { input_tokens: 0, output_tokens: 0 } })
  })

  it('ends a broken stream with an Anthropic error event', () => {
    const answer = anthropicMessages.answer({ model: 'm' })
    const error = { status: 502, code: 'UPSTREAM_STREAM_TRUNCATED', message: 'The LLM stream ended early.', type: 'upstream_error', param: null }
    expect(answer.error(error)).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"The LLM stream ended early.","code":"UPSTREAM_STREAM_TRUNCATED"}}\n\n',
    )
  })

  it('is a stream the Anthropic SDK parses into the message', async () => {
    const stream = translateStream(canonicalStream)
    const server = createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(stream))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const client = new Anthropic({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxRetries: 0 })
      const texts: string[] = []
      const message = await client.messages
        .stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Weather in Paris?' }] })
        .on('text', (text) => texts.push(text))
        .finalMessage()
      expect(texts).toEqual(['Let me ', 'check.'])
      expect(message).toMatchObject({
        id: 'msg_02',
        model: 'claude-sonnet-4-5',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'Paris' } },
        ],
        stop_reason: 'tool_use',
        usage: { input_tokens: 472, output_tokens: 89 },
      })
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('anthropicMessages.errorBody', () => {
  it('gives the Anthropic error type by status, with our code', () => {
    const body = (status: number) => anthropicMessages.errorBody({ status, code: 'X', message: 'm', type: 't', param: null }) as { error: { type: string } }
    const types = Object.fromEntries([400, 401, 403, 404, 413, 429, 500, 502, 503, 504, 529].map((s) => [s, body(s).error.type]))
    expect(types).toEqual({
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      413: 'request_too_large',
      429: 'rate_limit_error',
      500: 'api_error',
      502: 'api_error',
      503: 'api_error',
      504: 'api_error',
      529: 'overloaded_error',
    })
    expect(anthropicMessages.errorBody({ status: 400, code: 'INVALID_REQUEST', message: 'max_tokens is required.', type: 'invalid_request_error', param: 'max_tokens' })).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens is required.', code: 'INVALID_REQUEST' },
    })
  })
})
