import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway, RequestRecord } from '@plugboard/gateway'
import { DEMO_KEY, fakeUpstream, post, startGateway } from './helpers.js'
import { eventually } from './plugin-processes.js'

/** An OpenAI-style upstream that streams two chunks and then drops the connection: a stream that breaks mid-way. */
async function breakingUpstream() {
  return fakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
    res.write(chunk('partial '))
    res.write(chunk('answer'))
    setTimeout(() => res.destroy(), 20)
  })
}

/** An Anthropic upstream: answers every Messages request with one text block, echoing the system prompt it got. */
async function anthropicUpstream() {
  return fakeUpstream((_req, res, body) => {
    const request = JSON.parse(body) as { system?: string; model: string }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ id: 'msg_up1', type: 'message', role: 'assistant', model: request.model, content: [{ type: 'text', text: `system was: ${request.system}` }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 9, output_tokens: 4 } }))
  })
}

let gateway: Gateway
let claude: Awaited<ReturnType<typeof anthropicUpstream>>
let breaking: Awaited<ReturnType<typeof breakingUpstream>>
const records: RequestRecord[] = []
let anthropic: Anthropic
let openai: OpenAI

beforeAll(async () => {
  breaking = await breakingUpstream()
  claude = await anthropicUpstream()
  ;({ gateway } = await startGateway({
    llms: `  - slug: breaking\n    vendor: openai\n    baseUrl: ${breaking.url}\n    apiKey: sk-up\n    models: [breaking-model]\n  - slug: claude\n    vendor: anthropic\n    baseUrl: ${claude.url}\n    apiKey: sk-ant-up\n    models: [claude-x]\n`,
    requestLog: (record) => void records.push(record),
  }))
  anthropic = new Anthropic({ apiKey: DEMO_KEY, baseURL: gateway.url, maxRetries: 0 })
  openai = new OpenAI({ apiKey: DEMO_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 })
})
afterAll(async () => {
  await gateway.close()
  await breaking.close()
  await claude.close()
})

describe('Anthropic Messages through the gateway (the @anthropic-ai/sdk client)', () => {
  it('answers a message with text and usage, authenticated by x-api-key', async () => {
    const message = await anthropic.messages.create({
      model: 'mock-gpt',
      max_tokens: 64,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello there gateway' }],
    })
    expect(message.type).toBe('message')
    expect(message.role).toBe('assistant')
    expect(message.model).toBe('mock-gpt')
    expect(message.content[0]).toMatchObject({ type: 'text' })
    expect((message.content[0] as { text: string }).text).toMatch(/^Mock reply to: Hello there gateway/)
    expect(message.stop_reason).toBe('end_turn')
    expect(message.usage.output_tokens).toBe(12)
    expect(records.at(-1)).toMatchObject({ api: 'anthropic.messages', status: 200, llm: 'mock', completionTokens: 12 })
  })

  it('is served by an Anthropic LLM with a Messages request, the vendor key instead of the app key', async () => {
    const message = await anthropic.messages.create({ model: 'claude-x', max_tokens: 32, system: 'be terse', messages: [{ role: 'user', content: 'hi' }] })
    expect(message.content).toEqual([{ type: 'text', text: 'system was: be terse' }])
    expect(message.usage).toMatchObject({ input_tokens: 9, output_tokens: 4 })
    const sent = claude.requests.at(-1)!
    expect(sent.url).toBe('/v1/messages')
    expect(sent.headers['x-api-key']).toBe('sk-ant-up')
    expect(JSON.parse(sent.body)).toMatchObject({ model: 'claude-x', max_tokens: 32, system: 'be terse', messages: [{ role: 'user' }] })
  })

  it('accepts Authorization: Bearer as well', async () => {
    const bearer = new Anthropic({ authToken: DEMO_KEY, apiKey: null, baseURL: gateway.url, maxRetries: 0 })
    const message = await bearer.messages.create({ model: 'mock-gpt', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
    expect(message.content[0]).toMatchObject({ type: 'text' })
  })

  it('streams text deltas the SDK assembles into the final message', async () => {
    const stream = anthropic.messages.stream({ model: 'mock-gpt', max_tokens: 64, messages: [{ role: 'user', content: 'Stream please' }] })
    const deltas: string[] = []
    stream.on('text', (text) => deltas.push(text))
    const message = await stream.finalMessage()
    expect(deltas.length).toBeGreaterThanOrEqual(3)
    expect((message.content[0] as { text: string }).text).toBe(deltas.join(''))
    expect(deltas.join('')).toMatch(/^Mock reply to: Stream please/)
    expect(message.stop_reason).toBe('end_turn')
    expect(message.usage.output_tokens).toBe(12)
    expect(records.at(-1)).toMatchObject({ api: 'anthropic.messages', streamed: true, completionTokens: 12 })
  })

  it('calls a tool and takes its result on the next turn, streamed and not', async () => {
    const tools = [{ name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }]
    const first = await anthropic.messages.create({ model: 'mock-gpt', max_tokens: 64, tools, messages: [{ role: 'user', content: 'use get_weather for Paris' }] })
    expect(first.stop_reason).toBe('tool_use')
    const call = first.content.find((block) => block.type === 'tool_use')!
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: expect.any(String) } })
    const streamed = await anthropic.messages.stream({ model: 'mock-gpt', max_tokens: 64, tools, messages: [{ role: 'user', content: 'use get_weather for Paris' }] }).finalMessage()
    expect(streamed.content.find((block) => block.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: expect.any(String) } })
    const second = await anthropic.messages.create({
      model: 'mock-gpt',
      max_tokens: 64,
      tools,
      messages: [
        { role: 'user', content: 'use get_weather for Paris' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: (call as { id: string }).id, content: 'sunny, 21 C' }] },
      ],
    })
    expect(second.stop_reason).toBe('end_turn')
  })

  it('counts tokens', async () => {
    const count = await anthropic.messages.countTokens({ model: 'mock-gpt', messages: [{ role: 'user', content: 'How many tokens is this?' }] })
    expect(count.input_tokens).toBeGreaterThan(0)
  })

  it('retrieves and lists models in its own shape', async () => {
    const model = await anthropic.models.retrieve('mock-gpt')
    expect(model).toMatchObject({ type: 'model', id: 'mock-gpt' })
    const page = await anthropic.models.list()
    expect(page.data.map((entry) => entry.id)).toContain('mock-slow')
    await expect(anthropic.models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404 })
  })

  it('refuses a request without max_tokens in Anthropic error shape, with our code', async () => {
    const response = await post(`${gateway.url}/v1/messages`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': DEMO_KEY, authorization: '' })
    expect(response.status).toBe(400)
    expect(response.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', code: 'INVALID_REQUEST', message: expect.stringContaining('max_tokens') } })
    const error = await anthropic.messages.create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] } as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.BadRequestError)
  })

  it('answers auth and routing errors in Anthropic error shape too', async () => {
    const noKey = await post(`${gateway.url}/v1/messages`, { model: 'mock-gpt', max_tokens: 5, messages: [] }, { authorization: '' })
    expect(noKey.status).toBe(401)
    expect(noKey.json).toMatchObject({ type: 'error', error: { type: 'authentication_error', code: 'MISSING_API_KEY' } })
    const wrongMethod = await fetch(`${gateway.url}/v1/messages`)
    expect(wrongMethod.status).toBe(405)
    expect(await wrongMethod.json()).toMatchObject({ type: 'error', error: { code: 'METHOD_NOT_ALLOWED' } })
    const unknownModel = await post(`${gateway.url}/v1/messages`, { model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
    expect(unknownModel.status).toBe(404)
    expect(unknownModel.json).toMatchObject({ type: 'error', error: { type: 'not_found_error', code: 'MODEL_NOT_FOUND' } })
  })

  it('refuses an unknown content block and a tool_result without its tool_use', async () => {
    const unknown = await post(`${gateway.url}/v1/messages`, { model: 'mock-gpt', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'hologram', data: 'x' }] }] })
    expect(unknown.status).toBe(400)
    expect(unknown.json.error).toMatchObject({ type: 'invalid_request_error', code: 'INVALID_REQUEST' })
    const orphan = await post(`${gateway.url}/v1/messages`, {
      model: 'mock-gpt',
      max_tokens: 5,
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_missing', content: 'x' }] }],
    })
    expect(orphan.status).toBe(400)
    expect(orphan.json.error.message).toMatch(/toolu_missing/)
  })

  it('ends a stream that breaks mid-way with an error event, keeping what was sent', async () => {
    const response = await post(`${gateway.url}/v1/messages`, { model: 'breaking-model', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x' }] })
    expect(response.status).toBe(200)
    expect(response.text).toContain('event: message_start')
    expect(response.text).toContain('partial ')
    const last = response.text.trim().split('\n\n').at(-1)!
    expect(last).toMatch(/^event: error\ndata: /)
    expect(JSON.parse(last.split('data: ')[1]!)).toMatchObject({ type: 'error', error: { type: 'api_error' } })
    expect(records.at(-1)).toMatchObject({ api: 'anthropic.messages', errorCode: 'UPSTREAM_STREAM_TRUNCATED' })
  })
})

describe('OpenAI Responses through the gateway (the openai client)', () => {
  it('answers string input with output_text and usage', async () => {
    const response = await openai.responses.create({ model: 'mock-gpt', instructions: 'Be brief.', input: 'Hello responses' })
    expect(response.object).toBe('response')
    expect(response.status).toBe('completed')
    expect(response.output_text).toMatch(/^Mock reply to: Hello responses/)
    expect(response.usage?.output_tokens).toBe(12)
    expect(records.at(-1)).toMatchObject({ api: 'responses', status: 200, completionTokens: 12 })
  })

  it('streams typed events ending in response.completed', async () => {
    const stream = await openai.responses.create({ model: 'mock-gpt', input: [{ role: 'user', content: 'Stream responses' }], stream: true })
    const types: string[] = []
    let text = ''
    let completed: OpenAI.Responses.Response | undefined
    for await (const event of stream) {
      types.push(event.type)
      if (event.type === 'response.output_text.delta') text += event.delta
      if (event.type === 'response.completed') completed = event.response
    }
    expect(types[0]).toBe('response.created')
    expect(types).toContain('response.output_item.added')
    expect(types.at(-1)).toBe('response.completed')
    expect(text).toMatch(/^Mock reply to: Stream responses/)
    expect(completed?.output_text ?? (completed?.output[0] as { content: Array<{ text: string }> }).content[0]!.text).toBe(text)
  })

  it('calls a function and takes its output as an item', async () => {
    const tools = [{ type: 'function' as const, name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: false }]
    const first = await openai.responses.create({ model: 'mock-gpt', tools, input: 'please lookup the gateway' })
    const call = first.output.find((item) => item.type === 'function_call')!
    expect(call).toMatchObject({ type: 'function_call', name: 'lookup' })
    const argumentsDeltas: string[] = []
    const stream = await openai.responses.create({ model: 'mock-gpt', tools, input: 'please lookup the gateway', stream: true })
    for await (const event of stream) if (event.type === 'response.function_call_arguments.delta') argumentsDeltas.push(event.delta)
    expect(JSON.parse(argumentsDeltas.join(''))).toEqual(JSON.parse((call as { arguments: string }).arguments))
    const second = await openai.responses.create({
      model: 'mock-gpt',
      tools,
      input: [
        { role: 'user', content: 'please lookup the gateway' },
        call as OpenAI.Responses.ResponseFunctionToolCall,
        { type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: 'found it' },
      ],
    })
    expect(second.output_text).toMatch(/Mock reply/)
  })

  it('retrieves a model', async () => {
    expect(await openai.models.retrieve('mock-gpt')).toMatchObject({ id: 'mock-gpt', object: 'model' })
    await expect(openai.models.retrieve('no-such-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError)
  })

  it('refuses previous_response_id and unsupported items with a clear error', async () => {
    const previous = await openai.responses.create({ model: 'mock-gpt', input: 'x', previous_response_id: 'resp_1' }).catch((e: unknown) => e)
    expect(previous).toBeInstanceOf(OpenAI.BadRequestError)
    expect((previous as { error: { code: string } }).error.code).toBe('INVALID_REQUEST')
    expect((previous as Error).message).toMatch(/previous_response_id/)
    const item = await post(`${gateway.url}/v1/responses`, { model: 'mock-gpt', input: [{ type: 'computer_call', id: 'x' }] })
    expect(item.status).toBe(400)
    expect(item.json.error).toMatchObject({ code: 'INVALID_REQUEST', param: 'input[0].type' })
  })

  it('ends a stream that breaks mid-way with error and response.failed events', async () => {
    const response = await post(`${gateway.url}/v1/responses`, { model: 'breaking-model', stream: true, input: 'x' })
    expect(response.status).toBe(200)
    expect(response.text).toContain('partial ')
    const events = response.text.trim().split('\n\n').map((block) => block.split('\n')[0])
    expect(events.slice(-2)).toEqual(['event: error', 'event: response.failed'])
    expect(records.at(-1)).toMatchObject({ api: 'responses', errorCode: 'UPSTREAM_STREAM_TRUNCATED' })
  })
})

describe('a client that disconnects mid-stream', () => {
  for (const [api, path, body] of [
    ['anthropic.messages', '/v1/messages', { model: 'mock-slow', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'x' }] }],
    ['responses', '/v1/responses', { model: 'mock-slow', stream: true, input: 'x' }],
  ] as const) {
    it(`is recorded as aborted on ${api}`, async () => {
      const controller = new AbortController()
      const response = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}` },
        body: JSON.stringify(body),
        signal: controller.signal,
      })
      const reader = response.body!.getReader()
      await reader.read()
      controller.abort()
      expect(await eventually(() => records.some((record) => record.api === api && record.aborted && record.model === 'mock-slow'))).toBe(true)
    })
  }
})
