import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { post, startGateway } from './helpers.js'

// The mock answers as a real LLM would to a token limit: the budget reserved no more than the limit.

let gateway: Gateway

beforeAll(async () => {
  ;({ gateway } = await startGateway())
})

afterAll(async () => {
  await gateway?.close()
})

describe('the mock LLM', () => {
  it('answers at most 1,048,576 embedding numbers per request (built on the event loop), refusing more with INVALID_REQUEST', async () => {
    const embed = (inputs: number, dimensions: number) =>
      post(`${gateway.url}/v1/embeddings`, { model: 'mock-gpt', input: Array.from({ length: inputs }, (_, i) => `text ${i}`), dimensions, encoding_format: 'base64' })
    const fits = await embed(512, 2048)
    expect(fits.status).toBe(200)
    expect(fits.json.data).toHaveLength(512)
    expect(await embed(2048, 3072)).toMatchObject({ status: 400, json: { error: { code: 'INVALID_REQUEST' } } })
  })

  it.each([
    ['max_tokens', { max_tokens: 3 }],
    ['max_completion_tokens', { max_completion_tokens: 3 }],
  ])('stops at %s, with finish reason "length"', async (_, limit) => {
    const { status, json } = await post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }], ...limit })
    expect(status).toBe(200)
    expect(json.usage.completion_tokens).toBe(3)
    expect(json.choices[0].finish_reason).toBe('length')
    expect(json.choices[0].message.content).toBe('Mock reply to:')
  })

  it('stops a stream at the limit too', async () => {
    const { status, text } = await post(`${gateway.url}/v1/chat/completions`, {
      model: 'mock-gpt',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(status).toBe(200)
    const events = text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)))
    expect(events.at(-1).usage.completion_tokens).toBe(2)
    expect(events.some((e) => e.choices[0]?.finish_reason === 'length')).toBe(true)
  })

  it('answers its configured length when the limit is higher', async () => {
    const { json } = await post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 })
    expect(json.usage.completion_tokens).toBe(12)
    expect(json.choices[0].finish_reason).toBe('stop')
  })
})
