import type { ServerResponse } from 'node:http'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway, RequestRecord } from '@plugboard/gateway'
import { DEMO_KEY, fakeUpstream, post, startGateway } from './helpers.js'
import { examplePlugin } from './plugin-processes.js'

/**
 * The native lane: a Messages request to an `anthropic` LLM and a Responses
 * request to an LLM that serves the Responses API go upstream in their own
 * API, and the client gets the upstream's answer as it came (thinking blocks,
 * reasoning items, cache usage: what no translation keeps). Hooks still see
 * the canonical form; when one changes the request the lane is the
 * translated one, and when one reads the answer it is translated back.
 * The upstreams answer in the shapes of Anthropic's and OpenAI's API docs.
 */

const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

const MESSAGE = {
  id: 'msg_native1',
  type: 'message',
  role: 'assistant',
  model: 'claude-x',
  content: [
    { type: 'thinking', thinking: 'The user wants a short answer.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' },
    { type: 'text', text: 'write to ada@example.com today' },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 25, cache_creation_input_tokens: 0, cache_read_input_tokens: 1800, output_tokens: 19 },
}

const MESSAGE_EVENTS = [
  sse('message_start', { type: 'message_start', message: { ...MESSAGE, content: [], stop_reason: null, usage: { input_tokens: 25, cache_read_input_tokens: 1800, output_tokens: 1 } } }),
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The user wants a short answer.' } }),
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' } }),
  sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
  sse('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
  sse('ping', { type: 'ping' }),
  sse('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'write to ada@exa' } }),
  sse('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'mple.com today' } }),
  sse('content_block_stop', { type: 'content_block_stop', index: 1 }),
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 19 } }),
  sse('message_stop', { type: 'message_stop' }),
]

const RESPONSE = {
  id: 'resp_native1',
  object: 'response',
  created_at: 1741290958,
  status: 'completed',
  error: null,
  incomplete_details: null,
  model: 'gpt-x',
  output: [
    { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Short answer wanted.' }] },
    { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'write to ada@example.com today', annotations: [] }] },
  ],
  parallel_tool_calls: true,
  store: false,
  tools: [],
  usage: { input_tokens: 20, input_tokens_details: { cached_tokens: 0 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 50 },
}

function responseEvents(): string[] {
  let sequence = 0
  const event = (type: string, data: object) => sse(type, { type, sequence_number: sequence++, ...data })
  const started = { ...RESPONSE, status: 'in_progress', output: [], usage: null }
  const message = RESPONSE.output[1]!
  return [
    event('response.created', { response: started }),
    event('response.in_progress', { response: started }),
    event('response.output_item.added', { output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } }),
    event('response.output_item.done', { output_index: 0, item: RESPONSE.output[0] }),
    event('response.output_item.added', { output_index: 1, item: { ...message, status: 'in_progress', content: [] } }),
    event('response.content_part.added', { item_id: 'msg_1', output_index: 1, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
    event('response.output_text.delta', { item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'write to ada@exa', logprobs: [] }),
    event('response.output_text.delta', { item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'mple.com today', logprobs: [] }),
    event('response.output_text.done', { item_id: 'msg_1', output_index: 1, content_index: 0, text: 'write to ada@example.com today', logprobs: [] }),
    event('response.content_part.done', { item_id: 'msg_1', output_index: 1, content_index: 0, part: message.content![0] }),
    event('response.output_item.done', { output_index: 1, item: message }),
    event('response.completed', { response: RESPONSE }),
  ]
}

/** Streams `events`; `breakAfter` of them, then the connection drops. */
function stream(res: ServerResponse, events: string[], breakAfter?: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  if (breakAfter === undefined) return void res.end(events.join(''))
  res.write(events.slice(0, breakAfter).join(''))
  setTimeout(() => res.destroy(), 20)
}

/**
 * One upstream for both APIs: Anthropic's Messages at /v1/messages, OpenAI's Responses at /v1/responses; `x-break` asks for a stream that breaks,
 * `x-thinking` for a whole answer that thinks (or summarises its reasoning) that text.
 */
async function nativeUpstream() {
  return fakeUpstream((req, res, body) => {
    const request = JSON.parse(body) as { stream?: boolean; model?: string }
    const breakAfter = req.headers['x-break'] ? Number(req.headers['x-break']) : undefined
    if (req.url === '/v1/messages/count_tokens') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ input_tokens: 4321 }))
    }
    if (req.url === '/v1/messages') {
      if (request.model === 'claude-t') {
        // The translated lane: a chat completion translated to Messages, answered plainly.
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end(JSON.stringify({ ...MESSAGE, model: 'claude-t', content: [MESSAGE.content[1]] }))
      }
      if (request.stream) return stream(res, MESSAGE_EVENTS, breakAfter)
      res.writeHead(200, { 'content-type': 'application/json' })
      const thinking = req.headers['x-thinking']
      return res.end(JSON.stringify(thinking ? { ...MESSAGE, content: [{ ...MESSAGE.content[0], thinking }, { type: 'text', text: 'ok' }] } : MESSAGE))
    }
    if (req.url === '/v1/responses') {
      if (request.stream) return stream(res, responseEvents(), breakAfter)
      res.writeHead(200, { 'content-type': 'application/json' })
      const summary = req.headers['x-thinking']
      const output = [{ ...RESPONSE.output[0], summary: [{ type: 'summary_text', text: summary }] }, { ...RESPONSE.output[1], content: [{ type: 'output_text', text: 'ok', annotations: [] }] }]
      return res.end(JSON.stringify(summary ? { ...RESPONSE, output } : RESPONSE))
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { message: `no ${req.url}`, type: 'invalid_request_error' } }))
  })
}

let upstream: Awaited<ReturnType<typeof nativeUpstream>>
const LLMS = () => `
  - { slug: claude, vendor: anthropic, baseUrl: "${upstream.url}", apiKey: sk-ant-up, models: [claude-x] }
  - { slug: claude-translated, vendor: anthropic, baseUrl: "${upstream.url}", apiKey: sk-ant-up, models: [claude-t], nativeApis: [] }
  - { slug: oai, vendor: openai, baseUrl: "${upstream.url}/v1", apiKey: sk-oai-up, models: [gpt-x], nativeApis: [responses] }`

const lastSent = () => upstream.requests.at(-1)!
const sentBody = () => JSON.parse(lastSent().body) as Record<string, unknown>

beforeAll(async () => {
  upstream = await nativeUpstream()
})
afterAll(async () => upstream?.close())

describe('the native lane, without plugins', () => {
  let gateway: Gateway
  const records: RequestRecord[] = []
  let anthropic: Anthropic
  let openai: OpenAI

  beforeAll(async () => {
    ;({ gateway } = await startGateway({ llms: LLMS(), requestLog: (record) => void records.push(record) }))
    anthropic = new Anthropic({ apiKey: DEMO_KEY, baseURL: gateway.url, maxRetries: 0 })
    openai = new OpenAI({ apiKey: DEMO_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 })
  })
  afterAll(async () => gateway?.close())

  const messagesParams = {
    model: 'claude-x',
    max_tokens: 2048,
    top_k: 5,
    thinking: { type: 'enabled' as const, budget_tokens: 1024 },
    system: [{ type: 'text' as const, text: 'A long, cached system prompt.', cache_control: { type: 'ephemeral' as const } }],
    messages: [{ role: 'user' as const, content: 'hi' }],
  }

  it('sends a Messages request to an anthropic LLM as it came (cache_control, thinking, top_k, anthropic-beta), the vendor key instead of the app key', async () => {
    await anthropic.messages.create({ ...messagesParams, mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }] } as never, { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } })
    const sent = lastSent()
    expect(sent.url).toBe('/v1/messages')
    expect(sent.headers['x-api-key']).toBe('sk-ant-up')
    expect(sent.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14')
    const { mcp_servers: _dropped, ...expected } = { ...messagesParams, mcp_servers: 1 }
    // Fields the gateway cannot govern (server-side MCP servers) never leave it.
    expect(sentBody()).toEqual(expected)
  })

  it("answers with the upstream's own message: thinking blocks and cache usage kept; the record counts its usage", async () => {
    const message = await anthropic.messages.create(messagesParams)
    expect(message).toEqual(MESSAGE)
    expect(records.at(-1)).toMatchObject({ api: 'anthropic.messages', llm: 'claude', status: 200, completionTokens: 19 })
    expect(records.at(-1)!.promptTokens).toBeGreaterThanOrEqual(25)
  })

  it("streams the upstream's events byte for byte; the SDK assembles the thinking and the text", async () => {
    const response = await post(`${gateway.url}/v1/messages`, { ...messagesParams, stream: true }, { 'x-api-key': DEMO_KEY, authorization: '' })
    expect(response.status).toBe(200)
    expect(response.text).toBe(MESSAGE_EVENTS.join(''))
    expect(records.at(-1)).toMatchObject({ api: 'anthropic.messages', streamed: true, completionTokens: 19 })
    const final = await anthropic.messages.stream(messagesParams).finalMessage()
    expect(final.content).toEqual(MESSAGE.content)
  })

  it('translates for an anthropic LLM whose nativeApis is empty: the native-only fields are not sent', async () => {
    const message = await anthropic.messages.create({ ...messagesParams, model: 'claude-t' })
    expect(message.content).toEqual([{ type: 'text', text: 'write to ada@example.com today' }])
    expect(sentBody()).not.toHaveProperty('top_k')
    expect(sentBody()).not.toHaveProperty('thinking')
  })

  it("counts tokens with an anthropic LLM's own count, sending only what it counts; the gateway estimates for the others", async () => {
    const { max_tokens: _max, top_k: _topK, ...counted } = messagesParams
    expect(await anthropic.messages.countTokens(counted)).toEqual({ input_tokens: 4321 })
    expect(lastSent().url).toBe('/v1/messages/count_tokens')
    expect(lastSent().headers['x-api-key']).toBe('sk-ant-up')
    expect(sentBody()).toEqual(counted)
    const requests = upstream.requests.length
    const estimate = await anthropic.messages.countTokens({ ...counted, model: 'claude-t' })
    expect(estimate.input_tokens).toBeGreaterThan(0)
    expect(estimate.input_tokens).not.toBe(4321)
    expect(upstream.requests.length).toBe(requests)
  })

  it('ends a native Messages stream that breaks with an error event', async () => {
    const response = await post(`${gateway.url}/v1/messages`, { ...messagesParams, stream: true }, { 'x-api-key': DEMO_KEY, authorization: '', 'x-break': '8' })
    expect(response.text.startsWith(MESSAGE_EVENTS.slice(0, 8).join(''))).toBe(true)
    const last = response.text.slice(MESSAGE_EVENTS.slice(0, 8).join('').length)
    expect(last).toMatch(/^event: error\ndata: /)
    expect(JSON.parse(last.slice(last.indexOf('data: ') + 6))).toMatchObject({ type: 'error', error: { type: 'api_error', code: 'UPSTREAM_STREAM_TRUNCATED' } })
    await expect.poll(() => records.at(-1)?.errorCode).toBe('UPSTREAM_STREAM_TRUNCATED')
  })

  it('sends a Responses request to an LLM that serves the Responses API, stateless (store: false), with reasoning and include', async () => {
    const params = { model: 'gpt-x', input: 'hi', reasoning: { effort: 'low' as const }, include: ['reasoning.encrypted_content' as const], store: true }
    const response = await openai.responses.create(params)
    expect(lastSent().url).toBe('/v1/responses')
    expect(lastSent().headers.authorization).toBe('Bearer sk-oai-up')
    expect(sentBody()).toEqual({ ...params, store: false })
    expect(response.output).toEqual(RESPONSE.output)
    expect(response.output_text).toBe('write to ada@example.com today')
    expect(records.at(-1)).toMatchObject({ api: 'responses', llm: 'oai', status: 200, promptTokens: 20, completionTokens: 30 })
  })

  it("streams the upstream's Responses events byte for byte, usage read from response.completed", async () => {
    const response = await post(`${gateway.url}/v1/responses`, { model: 'gpt-x', input: 'hi', stream: true })
    expect(response.text).toBe(responseEvents().join(''))
    expect(records.at(-1)).toMatchObject({ api: 'responses', streamed: true, promptTokens: 20, completionTokens: 30 })
    const final = await openai.responses.stream({ model: 'gpt-x', input: 'hi' }).finalResponse()
    expect(final.output_text).toBe('write to ada@example.com today')
  })

  it('ends a native Responses stream that breaks with error and response.failed, without starting a second response', async () => {
    const response = await post(`${gateway.url}/v1/responses`, { model: 'gpt-x', input: 'hi', stream: true }, { 'x-break': '7' })
    const sent = responseEvents().slice(0, 7).join('')
    expect(response.text.startsWith(sent)).toBe(true)
    const rest = response.text.slice(sent.length)
    expect(rest.match(/^event: (\S+)/gm)).toEqual(['event: error', 'event: response.failed'])
    expect(rest).toContain('UPSTREAM_STREAM_TRUNCATED')
  })

  it('still refuses previous_response_id: the gateway stores no responses, native lane or not', async () => {
    const response = await post(`${gateway.url}/v1/responses`, { model: 'gpt-x', input: 'hi', previous_response_id: 'resp_x' })
    expect(response.status).toBe(400)
    expect(response.json).toMatchObject({ error: { code: 'INVALID_REQUEST', param: 'previous_response_id' } })
  })
})

describe('the native lane with the PII redactor bound (post-auth, response body and chunks)', () => {
  let gateway: Gateway
  let anthropic: Anthropic
  let openai: OpenAI

  beforeAll(async () => {
    ;({ gateway } = await startGateway({
      llms: LLMS(),
      yaml: `
plugins:
  - { name: pii-redactor, source: ${examplePlugin('pii-redactor')}, failurePolicy: fail-closed }`,
    }))
    anthropic = new Anthropic({ apiKey: DEMO_KEY, baseURL: gateway.url, maxRetries: 0 })
    openai = new OpenAI({ apiKey: DEMO_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 })
  }, 60_000)
  afterAll(async () => gateway?.close())

  it('takes the translated lane when a post-auth hook changed the request: the upstream gets the redacted prompt', async () => {
    await anthropic.messages.create({ model: 'claude-x', max_tokens: 64, top_k: 3, messages: [{ role: 'user', content: 'mail bob@example.org' }] } as Anthropic.MessageCreateParamsNonStreaming)
    const body = sentBody() as { messages: Array<{ content: unknown }>; top_k?: number }
    expect(JSON.stringify(body.messages)).toContain('[EMAIL]')
    expect(JSON.stringify(body.messages)).not.toContain('bob@example.org')
    expect(body.top_k).toBeUndefined()
  })

  it('redacts a native Messages answer, whole and streamed (an address cut across two events)', async () => {
    const message = await anthropic.messages.create({ model: 'claude-x', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
    expect(message.content.find((block) => block.type === 'text')).toMatchObject({ text: 'write to [EMAIL] today' })
    expect(sentBody()).toEqual({ model: 'claude-x', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
    let text = ''
    for await (const event of await anthropic.messages.create({ model: 'claude-x', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], stream: true })) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text
    }
    expect(text).toBe('write to [EMAIL] today')
  })

  it('sends no native answer whose text the response-body hook never saw (thinking, a reasoning summary): the canonical one, translated', async () => {
    const headers = { 'x-thinking': 'the user is bob@example.org' }
    const messages = await post(`${gateway.url}/v1/messages`, { model: 'claude-x', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, headers)
    expect(messages.json).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'ok' }] })
    expect(messages.text).not.toContain('bob@example.org')
    const responses = await post(`${gateway.url}/v1/responses`, { model: 'gpt-x', input: 'hi' }, headers)
    expect(responses.json).toMatchObject({ object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: 'ok' }] }] })
    expect(responses.text).not.toContain('bob@example.org')
  })

  it('redacts a native Responses answer, whole and streamed', async () => {
    expect((await openai.responses.create({ model: 'gpt-x', input: 'hi' })).output_text).toBe('write to [EMAIL] today')
    expect(lastSent().url).toBe('/v1/responses')
    let text = ''
    for await (const event of await openai.responses.create({ model: 'gpt-x', input: 'hi', stream: true })) if (event.type === 'response.output_text.delta') text += event.delta
    expect(text).toBe('write to [EMAIL] today')
  })
})

describe('the native lane with a post-auth hook that changes only headers (the request enricher)', () => {
  let gateway: Gateway

  beforeAll(async () => {
    ;({ gateway } = await startGateway({
      llms: LLMS(),
      yaml: `
plugins:
  - { name: enricher, source: ${examplePlugin('request-enricher')}, hooks: [post_auth], config: { headers: { x-team: ml } } }`,
    }))
  }, 60_000)
  afterAll(async () => gateway?.close())

  it('keeps the native lane, the headers it set sent upstream', async () => {
    const body = { model: 'claude-x', max_tokens: 64, top_k: 3, messages: [{ role: 'user', content: 'hi' }] }
    const response = await post(`${gateway.url}/v1/messages`, body, { 'anthropic-beta': 'interleaved-thinking-2025-05-14' })
    expect(response.json).toEqual(MESSAGE)
    expect(sentBody()).toEqual(body)
    expect(lastSent().headers).toMatchObject({ 'x-team': 'ml', 'anthropic-beta': 'interleaved-thinking-2025-05-14', 'x-api-key': 'sk-ant-up' })
  })
})
