import OpenAI from 'openai'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { ChatCompletionChunk } from '../openai-types.js'
import { openAiResponses } from './responses.js'

/** Requests as the openai SDK's docs show them (function calling round trip, structured output). */
const FUNCTION_ROUND_TRIP = {
  model: 'gpt-4.1',
  instructions: 'You are a weather bot.',
  input: [
    { role: 'user', content: "What's the weather like in Paris today?" },
    { type: 'function_call', id: 'fc_12345xyz', call_id: 'call_12345xyz', name: 'get_weather', arguments: '{"location":"Paris, France"}' },
    { type: 'function_call_output', call_id: 'call_12345xyz', output: '{"temperature": 21}' },
  ],
  tools: [{ type: 'function', name: 'get_weather', description: 'Get current temperature for a given location.', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false }, strict: true }],
  tool_choice: 'auto',
  max_output_tokens: 200,
  store: true,
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk =>
  ({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] }) as unknown as ChatCompletionChunk
const usageChunk = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } } as unknown as ChatCompletionChunk

function events(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .trim()
    .split('\n\n')
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n')
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) as Record<string, unknown> }
    })
}

describe('Responses requests to the canonical form', () => {
  it('translates a string input with instructions and settings', () => {
    expect(openAiResponses.toCanonical({ model: 'gpt-4.1', input: 'Tell me a joke', instructions: 'Be brief.', temperature: 0.2, max_output_tokens: 50, stream: true })).toEqual({
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Tell me a joke' },
      ],
      temperature: 0.2,
      max_completion_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
    })
  })

  it('translates a function-calling round trip and its tools', () => {
    const canonical = openAiResponses.toCanonical(FUNCTION_ROUND_TRIP)
    expect(canonical.messages).toEqual([
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: "What's the weather like in Paris today?" },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_12345xyz', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris, France"}' } }] },
      { role: 'tool', tool_call_id: 'call_12345xyz', content: '{"temperature": 21}' },
    ])
    expect(canonical.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Get current temperature for a given location.', parameters: FUNCTION_ROUND_TRIP.tools[0]!.parameters, strict: true } }])
    expect(canonical.tool_choice).toBe('auto')
    expect(canonical.max_completion_tokens).toBe(200)
  })

  it('merges consecutive function calls into one assistant turn and reads content parts and images', () => {
    const canonical = openAiResponses.toCanonical({
      model: 'm',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what is in this image?' }, { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' }] },
        { type: 'function_call', call_id: 'a', name: 'f', arguments: '{}' },
        { type: 'function_call', call_id: 'b', name: 'g', arguments: '{}' },
      ],
    })
    expect(canonical.messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'what is in this image?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } }] })
    expect((canonical.messages[1] as { tool_calls: unknown[] }).tool_calls).toHaveLength(2)
  })

  it('translates structured output formats', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }
    expect(openAiResponses.toCanonical({ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'person', schema, strict: true } } }).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'person', schema, strict: true },
    })
  })

  it.each([
    [{ input: 'x' }, 'model'],
    [{ model: 'm', input: 5 }, 'input'],
    [{ model: 'm', input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id'],
    [{ model: 'm', input: 'x', conversation: 'conv_1' }, 'conversation'],
    [{ model: 'm', input: 'x', background: true }, 'background'],
    [{ model: 'm', input: [{ type: 'reasoning', id: 'rs_1', summary: [] }] }, 'input[0].type'],
    [{ model: 'm', input: [{ role: 'user', content: 'a' }, { type: 'item_reference', id: 'msg_1' }] }, 'input[1].type'],
    [{ model: 'm', input: [{ role: 'robot', content: 'a' }] }, 'input[0].role'],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, 'input[0].content[0].type'],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }] }, 'input[0].content[0].image_url'],
    [{ model: 'm', input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    [{ model: 'm', input: 'x', tool_choice: { type: 'file_search' } }, 'tool_choice.type'],
    [{ model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id'],
    [{ model: 'm', input: 'x', text: { format: { type: 'yaml' } } }, 'text.format.type'],
  ])('refuses %j at %s', (body, param) => {
    expect(() => openAiResponses.toCanonical(body)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', param }))
  })
})

describe('canonical answers as Responses', () => {
  it('translates a completion with text and a tool call', () => {
    const response = openAiResponses.answer({ model: 'gpt-4.1', input: 'x' }).body({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'up',
      choices: [{ index: 0, finish_reason: 'tool_calls', logprobs: null, message: { role: 'assistant', content: 'Checking.', refusal: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] } }],
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
    } as never) as { status: string; model: string; store: boolean; output: unknown[]; usage: unknown }
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4.1', store: false, previous_response_id: null })
    expect(response.output).toEqual([
      { type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
      { type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}', status: 'completed' },
    ])
    expect(response.usage).toMatchObject({ input_tokens: 5, output_tokens: 4, total_tokens: 9 })
  })

  it('marks a completion cut by its token limit incomplete, and refuses what is not a completion', () => {
    const answer = openAiResponses.answer({ model: 'm' })
    expect(answer.body({ choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant', content: 'cut' } }] } as never)).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } })
    expect(() => answer.body({ nope: true } as never)).toThrow(expect.objectContaining({ code: 'UPSTREAM_INVALID_RESPONSE' }))
  })

  it('translates a stream of text then a tool call into the typed event sequence', () => {
    const answer = openAiResponses.answer({ model: 'gpt-4.1', input: 'x' })
    let text = answer.chunk(chunk({ role: 'assistant', content: '' }))
    text += answer.chunk(chunk({ content: 'Hel' }))
    text += answer.chunk(chunk({ content: 'lo' }))
    text += answer.chunk(chunk({ tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'f', arguments: '' } }] }))
    text += answer.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }))
    text += answer.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }))
    text += answer.chunk(chunk({}, 'tool_calls'))
    text += answer.chunk(usageChunk)
    text += answer.end()
    const sequence = events(text)
    expect(sequence.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(sequence.map((e) => e.data.sequence_number)).toEqual(sequence.map((_, i) => i))
    expect(sequence.every((e) => e.data.type === e.event)).toBe(true)
    expect(sequence[6]!.data).toMatchObject({ text: 'Hello', output_index: 0 })
    expect(sequence[12]!.data).toMatchObject({ arguments: '{"a":1}', output_index: 1 })
    const completed = sequence.at(-1)!.data.response as { output: Array<{ type: string }>; usage: unknown; status: string }
    expect(completed.status).toBe('completed')
    expect(completed.output.map((item) => item.type)).toEqual(['message', 'function_call'])
    expect(completed.usage).toMatchObject({ input_tokens: 7, output_tokens: 3, total_tokens: 10 })
  })

  it('ends a broken stream with error then response.failed', () => {
    const answer = openAiResponses.answer({ model: 'm' })
    const text = answer.chunk(chunk({ content: 'part' })) + answer.error({ status: 502, code: 'UPSTREAM_STREAM_TRUNCATED', message: 'cut', type: 'upstream_error', param: null })
    const sequence = events(text)
    expect(sequence.slice(-2).map((e) => e.event)).toEqual(['error', 'response.failed'])
    expect(sequence.at(-2)!.data).toMatchObject({ code: 'UPSTREAM_STREAM_TRUNCATED', message: 'cut' })
    expect(sequence.at(-1)!.data.response).toMatchObject({ status: 'failed', error: { code: 'UPSTREAM_STREAM_TRUNCATED' } })
  })

  it("is parsed by the openai SDK's stream reader", async () => {
    const answer = openAiResponses.answer({ model: 'm', input: 'x' })
    const body = answer.chunk(chunk({ content: 'Hi there' })) + answer.chunk(chunk({}, 'stop')) + answer.chunk(usageChunk) + answer.end()
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(body))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, maxRetries: 0 })
      const final = await client.responses.stream({ model: 'm', input: 'x' }).finalResponse()
      expect(final.output_text).toBe('Hi there')
      expect(final.usage?.total_tokens).toBe(10)
    } finally {
      server.close()
    }
  })
})
