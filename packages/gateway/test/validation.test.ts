import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { post, startGateway } from './helpers.js'

// Bodies that once answered 500: validated against the OpenAI shapes before any vendor sees them.

let gateway: Gateway
let url: string

beforeAll(async () => {
  ;({ gateway, url } = await startGateway({
    llms: `
  - slug: up
    vendor: openai
    baseUrl: http://127.0.0.1:1
    apiKey: sk-none
    models: [up]`,
  }))
})
afterAll(() => gateway?.close())

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`

describe('request bodies of the wrong shape get 400 INVALID_REQUEST naming the field', () => {
  it.each([
    ['a null message', '/v1/chat/completions', { model: 'mock-gpt', messages: [null] }, 'messages[0]'],
    ['a null content part', '/v1/chat/completions', { model: 'mock-gpt', messages: [{ role: 'user', content: [null] }] }, 'messages[0].content[0]'],
    ['a content part of an unknown type', '/llm/mock/v1/chat/completions', { model: 'mock-gpt', messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'x' }] }] }, 'messages[0].content[1].type'],
    ['1e10 embedding dimensions', '/v1/embeddings', { model: 'mock-gpt', input: 'hi', dimensions: 1e10 }, 'dimensions'],
    ['an empty embeddings input', '/v1/embeddings', { model: 'mock-gpt', input: [] }, 'input'],
  ])('%s', async (_name, path, body, param) => {
    const response = await post(`${url}${path}`, body)
    expect(response).toMatchObject({ status: 400, json: { error: { code: 'INVALID_REQUEST', param, type: 'invalid_request_error' } } })
  })

  it.each([
    ['as messages', '/v1/chat/completions', `{"model":"mock-gpt","messages":${deep(10_000)}}`],
    ['inside a tool schema', '/v1/chat/completions', `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"a":${deep(10_000)}}}}]}`],
    ['as embeddings input', '/v1/embeddings', `{"model":"mock-gpt","input":${deep(10_000)}}`],
    ['in a pass-through body', '/llm/up/v1/responses', `{"model":"up","input":${deep(10_000)}}`],
  ])('refuses JSON nested 10,000 deep %s with 400, at once', async (_name, path, body) => {
    const started = performance.now()
    const response = await post(`${url}${path}`, body)
    expect(response).toMatchObject({ status: 400, json: { error: { code: 'INVALID_REQUEST' } } })
    expect(response.json.error.message).toContain('deeper than')
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('still serves a valid request after all that', async () => {
    expect((await post(`${url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200)
  })
})
