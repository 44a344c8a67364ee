import { describe, expect, it } from 'vitest'
import { GatewayError } from '../errors.js'
import { fromResponsesResponse, ResponsesStreamReader } from './responses-translate.js'

const URL = 'https://api.openai.com/v1/responses'

/** A function-calling Response as OpenAI's API reference shows it, with a reasoning item before the call. */
const TOOL_RESPONSE = {
  id: 'resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41',
  object: 'response',
  created_at: 1741476777,
  status: 'completed',
  error: null,
  incomplete_details: null,
  model: 'gpt-4o-2024-08-06',
  output: [
    { id: 'rs_1', type: 'reasoning', summary: [] },
    { type: 'function_call', id: 'fc_67ccd3aaf7e48190b83d5e2c4de4e3ea', call_id: 'call_unLAR8MvFNptuiZK6K6HCy5k', name: 'get_current_weather', arguments: '{"location":"Boston, MA","unit":"celsius"}', status: 'completed' },
  ],
  usage: { input_tokens: 291, input_tokens_details: { cached_tokens: 128 }, output_tokens: 23, output_tokens_details: { reasoning_tokens: 7 }, total_tokens: 314 },
}

describe('a Response read as a chat completion', () => {
  it('turns function_call items into tool calls, leaving the reasoning out, with usage in detail', () => {
    expect(fromResponsesResponse(TOOL_RESPONSE, URL)).toEqual({
      id: TOOL_RESPONSE.id,
      object: 'chat.completion',
      created: 1741476777,
      model: 'gpt-4o-2024-08-06',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'call_unLAR8MvFNptuiZK6K6HCy5k', type: 'function', function: { name: 'get_current_weather', arguments: '{"location":"Boston, MA","unit":"celsius"}' } }],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 291, completion_tokens: 23, total_tokens: 314, prompt_tokens_details: { cached_tokens: 128 }, completion_tokens_details: { reasoning_tokens: 7 } },
    })
  })

  it('joins the output_text parts and reads refusals and incomplete answers', () => {
    const message = (content: object[]) => ({ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content })
    const response = { ...TOOL_RESPONSE, output: [message([{ type: 'output_text', text: 'Hello, ', annotations: [] }, { type: 'output_text', text: 'world', annotations: [] }])] }
    expect(fromResponsesResponse(response, URL).choices[0]).toMatchObject({ message: { content: 'Hello, world', refusal: null }, finish_reason: 'stop' })
    const refused = { ...TOOL_RESPONSE, output: [message([{ type: 'refusal', refusal: 'I cannot help with that.' }])] }
    expect(fromResponsesResponse(refused, URL).choices[0]!.message).toMatchObject({ content: '', refusal: 'I cannot help with that.' })
    const cut = { ...response, status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }
    expect(fromResponsesResponse(cut, URL).choices[0]!.finish_reason).toBe('length')
    const filtered = { ...response, status: 'incomplete', incomplete_details: { reason: 'content_filter' } }
    expect(fromResponsesResponse(filtered, URL).choices[0]!.finish_reason).toBe('content_filter')
  })

  it('refuses what is not a Response as UPSTREAM_INVALID_RESPONSE, and survives hostile item shapes', () => {
    for (const bad of [null, 'text', [], {}, { output: 'x' }]) {
      expect(() => fromResponsesResponse(bad, URL)).toThrow(expect.objectContaining({ code: 'UPSTREAM_INVALID_RESPONSE' }))
    }
    const hostile = { output: [null, 1, 'x', [], { type: 'message', content: 'nope' }, { type: 'message', content: [null, { type: 'output_text', text: 5 }] }, { type: 'function_call', name: {}, arguments: [] }], usage: 'lots', created_at: 'now' }
    const completion = fromResponsesResponse(hostile, URL)
    expect(completion.choices[0]!.message.tool_calls).toEqual([{ id: '', type: 'function', function: { name: '', arguments: '' } }])
    expect(completion.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 })
  })
})

describe('a Responses stream read as chat chunks', () => {
  const event = (type: string, data: object = {}) => ({ event: type, data: JSON.stringify({ type, ...data }) })

  it('gives the role chunk, content and tool call deltas, then the finish and usage chunks', () => {
    const reader = new ResponsesStreamReader(URL)
    const chunks = [
      event('response.created', { response: { id: 'resp_1', model: 'gpt-x', created_at: 7, output: [] } }),
      event('response.in_progress'),
      event('response.output_item.added', { output_index: 0, item: { type: 'reasoning', id: 'rs_1' } }),
      event('response.output_text.delta', { output_index: 1, delta: 'Hi' }),
      event('response.output_item.added', { output_index: 2, item: { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '' } }),
      event('response.function_call_arguments.delta', { output_index: 2, delta: '{"a":' }),
      event('response.function_call_arguments.delta', { output_index: 2, delta: '1}' }),
      event('response.completed', { response: { id: 'resp_1', status: 'completed', usage: { input_tokens: 3, output_tokens: 4 } } }),
    ].flatMap((e) => reader.read(e))
    expect(reader.done).toBe(true)
    expect(chunks.map((chunk) => chunk.choices[0]?.delta ?? chunk.usage)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hi' },
      { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '1}' } }] },
      {},
      { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    ])
    expect(chunks.every((chunk) => chunk.id === 'resp_1' && chunk.model === 'gpt-x' && chunk.created === 7)).toBe(true)
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('tool_calls')
    expect(chunks.at(-1)!.choices).toEqual([])
  })

  it('ends incomplete with length, and fails on response.failed or an error event with the upstream message', () => {
    const reader = new ResponsesStreamReader(URL)
    const [finish] = reader.read(event('response.incomplete', { response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } }))
    expect(finish!.choices[0]!.finish_reason).toBe('length')
    expect(() => new ResponsesStreamReader(URL).read(event('response.failed', { response: { error: { code: 'server_error', message: 'The model crashed' } } }))).toThrow(
      expect.objectContaining({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('The model crashed') }),
    )
    expect(() => new ResponsesStreamReader(URL).read(event('error', { message: 'Rate limit reached' }))).toThrow(expect.objectContaining({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('Rate limit reached') }))
  })

  it('refuses events that are not JSON objects, or arguments of a call never added, as UPSTREAM_INVALID_RESPONSE', () => {
    for (const data of ['not json', '[1]', 'null', '"x"']) {
      expect(() => new ResponsesStreamReader(URL).read({ event: '', data })).toThrow(GatewayError)
    }
    expect(() => new ResponsesStreamReader(URL).read(event('response.function_call_arguments.delta', { output_index: 9, delta: 'x' }))).toThrow(expect.objectContaining({ code: 'UPSTREAM_INVALID_RESPONSE' }))
    // Unknown and malformed events of known types give nothing or text, never a TypeError.
    const reader = new ResponsesStreamReader(URL)
    expect(reader.read(event('response.reasoning_summary_text.delta', { delta: 'thinking' }))).toEqual([])
    expect(reader.read(event('response.output_item.added', { item: null }))).toEqual([])
    expect(reader.read(event('response.output_text.delta', { delta: 42 }))[0]!.choices[0]!.delta).toEqual({ content: '' })
  })
})
