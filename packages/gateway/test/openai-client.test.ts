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
