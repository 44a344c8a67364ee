import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { DEMO_KEY, startGateway } from './helpers.js'

let gateway: Gateway
let client: OpenAI

beforeAll(async () => {
  ;({ gateway } = await startGateway())
  client = new OpenAI({ apiKey: DEMO_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 })
})
afterAll(() => gateway.close())

describe('the official openai client against the gateway', () => {
  it('gets a chat completion with usage and a request id', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'Hello there gateway' }] })
      .withResponse()
    expect(data.object).toBe('chat.completion')
    expect(data.choices[0]!.message.content).toMatch(/^Mock reply to: Hello there gateway/)
    expect(data.usage).toMatchObject({ completion_tokens: 12 })
    expect(response.headers.get('x-request-id')).toMatch(/.+/)
  })

  it('streams a chat completion chunk by chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock-gpt',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let chunks = 0
    let usage: unknown
    for await (const chunk of stream) {
      chunks++
      text += chunk.choices[0]?.delta?.content ?? ''
      usage = chunk.usage ?? usage
    }
    expect(chunks).toBeGreaterThanOrEqual(6)
    expect(text).toMatch(/^Mock reply to: Stream please/)
    expect(usage).toMatchObject({ completion_tokens: 12 })
  })

  it('creates embeddings and lists models', async () => {
    const embeddings = await client.embeddings.create({ model: 'mock-gpt', input: ['a', 'bb'] })
    expect(embeddings.data).toHaveLength(2)
    expect(embeddings.data[0]!.embedding.length).toBeGreaterThan(0)
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toEqual(['mock-gpt', 'mock-slow'])
  })

  it('gets embeddings the way the client asks by default (base64 float32), equal for equal texts', async () => {
    const { data } = await client.embeddings.create({ model: 'mock-gpt', input: ['same text', 'other text', 'same text'] })
    const [first, other, again] = data.map((item) => item.embedding)
    expect(first).toHaveLength(1536)
    // A unit vector of real numbers: what a garbage decoding is not.
    expect(Math.hypot(...first!)).toBeCloseTo(1, 4)
    expect(again).toEqual(first)
    expect(other).not.toEqual(first)
    const floats = await client.embeddings.create({ model: 'mock-gpt', input: 'same text', encoding_format: 'float', dimensions: 64 })
    expect(floats.data[0]!.embedding).toHaveLength(64)
    await expect(client.embeddings.create({ model: 'mock-gpt', input: 'x', dimensions: 1e10 })).rejects.toMatchObject({ status: 400, code: 'INVALID_REQUEST' })
  })

  it('gets n choices, whole and streamed with their index', async () => {
    const completion = await client.chat.completions.create({ model: 'mock-gpt', n: 2, messages: [{ role: 'user', content: 'Two please' }] })
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1])
    expect(completion.choices[1]!.message.content).toMatch(/^Mock reply to: Two please/)
    const stream = await client.chat.completions.create({ model: 'mock-gpt', n: 2, stream: true, messages: [{ role: 'user', content: 'Two please' }] })
    const texts = ['', '']
    for await (const chunk of stream) for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? ''
    expect(texts).toEqual([completion.choices[0]!.message.content, completion.choices[1]!.message.content])
  })

  const weather = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1 } }, required: ['city'] },
    },
  }

  it('calls the offered tool when tool_choice requires it, and answers text when the tool result comes back', async () => {
    const messages = [{ role: 'user' as const, content: 'Weather in Paris?' }]
    const completion = await client.chat.completions.create({ model: 'mock-gpt', messages, tools: [weather], tool_choice: 'required' })
    const [choice] = completion.choices
    expect(choice!.finish_reason).toBe('tool_calls')
    const call = choice!.message.tool_calls![0]!
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } })
    expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toEqual({ city: 'Weather in Paris?', unit: 'celsius', days: 1 })

    // "auto": a call when the user names the tool, text once the tool answered.
    const named = await client.chat.completions.create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'use get_weather' }], tools: [weather] })
    expect(named.choices[0]!.finish_reason).toBe('tool_calls')
    const answered = await client.chat.completions.create({
      model: 'mock-gpt',
      tools: [weather],
      messages: [...messages, choice!.message, { role: 'tool', tool_call_id: call.id, content: '21 °C' }],
    })
    expect(answered.choices[0]!.finish_reason).toBe('stop')
  })

  it('streams a tool call as OpenAI does, in tool_calls deltas the client can put together', async () => {
    const stream = client.chat.completions.stream({
      model: 'mock-gpt',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weather],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    })
    let deltas = 0
    for await (const chunk of stream) deltas += chunk.choices[0]?.delta.tool_calls ? 1 : 0
    const final = await stream.finalChatCompletion()
    expect(deltas).toBeGreaterThan(2)
    expect(final.choices[0]!.finish_reason).toBe('tool_calls')
    const call = final.choices[0]!.message.tool_calls![0] as { id: string; function: { name: string; arguments: string } }
    expect(call.id).toMatch(/^call_/)
    expect(call.function.name).toBe('get_weather')
    expect(JSON.parse(call.function.arguments)).toMatchObject({ city: 'Weather in Paris?' })
  })

  it('surfaces gateway errors as OpenAI API errors with a stable code', async () => {
    await expect(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      code: 'MODEL_NOT_FOUND',
    })
    const wrongKey = new OpenAI({ apiKey: 'pb-wrong-key-000000', baseURL: `${gateway.url}/v1`, maxRetries: 0 })
    await expect(wrongKey.models.list()).rejects.toMatchObject({ status: 401, code: 'INVALID_API_KEY' })
  })

  it('exposes health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200)
    expect(await (await fetch(`${gateway.url}/ready`)).json()).toMatchObject({ status: 'ready', reasons: [] })
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text()
    expect(metrics).toMatch(/plugboard_gateway_requests_total\{route="\/v1\/chat\/completions",status="200",llm="mock",app="demo"\} \d+/)
    expect(metrics).toContain('plugboard_gateway_request_duration_seconds_bucket')
  })
})
