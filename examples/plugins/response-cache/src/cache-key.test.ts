import { describe, expect, it } from 'vitest'
import { cacheKey } from './cache-key.js'

const request = {
  llm: 'mock',
  path: '/v1/chat/completions',
  streaming: false,
  body: { model: 'mock-gpt', temperature: 0, messages: [{ role: 'user', content: 'hi' }] },
}

describe('cacheKey', () => {
  it('is a SHA-256 hex digest that ignores key order, `user` and `stream`', () => {
    const key = cacheKey(request)
    expect(key).toMatch(/^[0-9a-f]{64}$/)
    const reordered = { messages: [{ content: 'hi', role: 'user' }], temperature: 0, model: 'mock-gpt', user: 'end-user-7', stream: false }
    expect(cacheKey({ ...request, body: reordered })).toBe(key)
  })

  it.each([
    ['message', { body: { ...request.body, messages: [{ role: 'user', content: 'hello' }] } }],
    ['temperature', { body: { ...request.body, temperature: 0.7 } }],
    ['model', { body: { ...request.body, model: 'other' } }],
    ['LLM', { llm: 'openai' }],
    ['path', { path: '/v1/embeddings' }],
    ['response format (streaming or not)', { streaming: true }],
  ])('changes with the %s', (_, change) => {
    expect(cacheKey({ ...request, ...change })).not.toBe(cacheKey(request))
  })
})
