import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { completionJson, DEMO_KEY, fakeUpstream, LIMITED_KEY, post, startGateway } from './helpers.js'

type Upstream = Awaited<ReturnType<typeof fakeUpstream>>

const SHADOW_KEY = 'pb-shadow-key-000000000'
const completion = completionJson('up')
const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`

let gateway: Gateway
let url: string
let upstream: Upstream
let upstreamAborted = 0

beforeAll(async () => {
  upstream = await fakeUpstream((req, res, body) => {
    const { model, stream } = JSON.parse(body || '{}') as { model: string; stream?: boolean }
    if (model === 'up-400') return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad temperature' } }))
    if (model === 'up-503') return res.writeHead(503).end('overloaded')
    if (model === 'up-slow') return void setTimeout(() => res.end(completion), 5000).unref()
    if (model === 'up-truncated') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(chunk('partial '))
      return void setTimeout(() => res.destroy(), 50)
    }
    if (model === 'up-endless') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const timer = setInterval(() => res.write(chunk('more ')), 20)
      req.socket.on('close', () => {
        clearInterval(timer)
        upstreamAborted++
      })
      return
    }
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      return res.end(`${chunk('hello ')}${chunk('world')}data: [DONE]\n\n`)
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(completion)
  })
  ;({ gateway, url } = await startGateway({
    llms: `
  - slug: up
    vendor: openai
    baseUrl: ${upstream.url}
    apiKey: sk-upstream
    models: [up, up-400, up-503, up-slow, up-truncated, up-endless]
  - slug: dead
    vendor: openai
    baseUrl: http://127.0.0.1:1
    apiKey: sk-none
    models: [dead-model]
  - slug: shadow
    vendor: mock
    models: [mock-gpt, up]
    mock: { completionTokens: 7, chunks: 1 }`,
    apps: `
  - id: shadowed
    keys: [{ value: ${SHADOW_KEY} }]
    allowedLlms: [shadow]`,
  }))
})
afterAll(async () => {
  await gateway?.close()
  await upstream.close()
})

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra })

describe('bad requests get a JSON error in the OpenAI shape with a stable code', () => {
  it.each([
    ['malformed JSON', () => post(`${url}/v1/chat/completions`, '{"model": '), 400, 'INVALID_JSON'],
    ['wrong content type', () => post(`${url}/v1/chat/completions`, 'model=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_CONTENT_TYPE'],
    ['a body over the limit', () => post(`${url}/v1/chat/completions`, chat('mock-gpt', { pad: 'x'.repeat(70_000) })), 413, 'BODY_TOO_LARGE'],
    ['no model', () => post(`${url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }] }), 400, 'INVALID_REQUEST', 'model'],
    ['an unknown model', () => post(`${url}/v1/chat/completions`, chat('gpt-9')), 404, 'MODEL_NOT_FOUND'],
    ['an unknown LLM', () => post(`${url}/llm/nope/v1/chat/completions`, chat('mock-gpt')), 404, 'LLM_NOT_FOUND'],
    ['a missing key', () => post(`${url}/v1/chat/completions`, chat('mock-gpt'), { authorization: '' }), 401, 'MISSING_API_KEY'],
    ['an invalid key', () => post(`${url}/v1/chat/completions`, chat('mock-gpt'), { authorization: 'Bearer pb-nope-0000000000' }), 401, 'INVALID_API_KEY'],
    ['a revoked key', () => post(`${url}/v1/chat/completions`, chat('mock-gpt'), { authorization: 'Bearer pb-revoked-key-000000' }), 401, 'API_KEY_REVOKED'],
    ['an unknown route', () => post(`${url}/v2/everything`, {}), 404, 'ROUTE_NOT_FOUND'],
  ])('%s', async (_name, send, status, code, param?: string) => {
    const response = await send()
    expect(response.status).toBe(status)
    expect(response.json).toEqual({ error: { message: expect.any(String), type: expect.any(String), code, param: param ?? null } })
    expect(response.headers.get('x-request-id')).toBeTruthy()
  })

  it('refuses a model only LLMs the app may not use serve, naming none of them', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('up'), { authorization: `Bearer ${LIMITED_KEY}` })
    expect(response).toMatchObject({ status: 403, json: { error: { code: 'LLM_NOT_ALLOWED' } } })
    expect(response.json.error.message).not.toMatch(/"up"\s*$|shadow|LLM "/)
  })

  it('routes a model two LLMs serve to the one the app may use, whichever is listed first', async () => {
    const shadowed = await post(`${url}/v1/chat/completions`, chat('mock-gpt'), { authorization: `Bearer ${SHADOW_KEY}` })
    expect(shadowed.status).toBe(200)
    expect(shadowed.json.usage.completion_tokens).toBe(7)
    const limited = await post(`${url}/v1/chat/completions`, chat('mock-gpt'), { authorization: `Bearer ${DEMO_KEY}` })
    expect(limited.json.usage.completion_tokens).toBe(12)
    const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${DEMO_KEY}` } }).then((r) => r.json() as Promise<{ data: { id: string; owned_by: string }[] }>)
    expect(models.data.filter((model) => model.id === 'mock-gpt')).toEqual([expect.objectContaining({ owned_by: 'mock' })])
  })

  it('refuses requests once the monthly budget is spent', async () => {
    const first = await post(`${url}/v1/chat/completions`, chat('mock-gpt'), { authorization: `Bearer ${LIMITED_KEY}` })
    expect(first.status).toBe(200)
    const second = await post(`${url}/v1/chat/completions`, chat('mock-gpt'), { authorization: `Bearer ${LIMITED_KEY}` })
    expect(second).toMatchObject({ status: 429, json: { error: { code: 'BUDGET_EXCEEDED', type: 'insufficient_quota' } } })
  })

  it('accepts the key in x-api-key too', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('mock-gpt'), { authorization: '', 'x-api-key': DEMO_KEY })
    expect(response.status).toBe(200)
  })
})

describe('upstream failures', () => {
  it('passes an upstream 4xx on with its status and message', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('up-400'))
    expect(response.status).toBe(400)
    expect(response.json.error).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('bad temperature') })
  })

  it('passes an upstream 5xx on', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('up-503'))
    expect(response).toMatchObject({ status: 503, json: { error: { code: 'UPSTREAM_ERROR' } } })
  })

  it('times out a slow upstream with 504', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('up-slow'))
    expect(response).toMatchObject({ status: 504, json: { error: { code: 'UPSTREAM_TIMEOUT' } } })
  })

  it('reports a refused connection with 502', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('dead-model'))
    expect(response).toMatchObject({ status: 502, json: { error: { code: 'UPSTREAM_UNREACHABLE' } } })
  })

  it('ends a truncated stream with an error event after the chunks that arrived', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('up-truncated', { stream: true }))
    expect(response.status).toBe(200)
    expect(response.text).toContain('partial ')
    expect(response.text).toContain('"code":"UPSTREAM_STREAM_TRUNCATED"')
  })

  it('relays a healthy upstream stream and its [DONE]', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('up', { stream: true }))
    expect(response.text).toContain('hello ')
    expect(response.text.trimEnd().endsWith('data: [DONE]')).toBe(true)
    expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer sk-upstream')
  })

  it('passes other paths under /llm/{slug}/ through raw, with the vendor key instead of the app key', async () => {
    const response = await fetch(`${url}/llm/up/v1/files?purpose=batch`, { headers: { authorization: `Bearer ${DEMO_KEY}`, 'x-custom': 'kept' } })
    expect(response.status).toBe(200)
    const sent = upstream.requests.at(-1)!
    expect(sent.url).toBe('/v1/files?purpose=batch')
    expect(sent.headers).toMatchObject({ authorization: 'Bearer sk-upstream', 'x-custom': 'kept' })
    expect((await fetch(`${url}/llm/up/v1/files`)).status).toBe(401)
  })

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    const controller = new AbortController()
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}` },
      body: JSON.stringify(chat('up-endless', { stream: true })),
      signal: controller.signal,
    })
    const reader = response.body!.getReader()
    await reader.read()
    controller.abort()
    for (let i = 0; i < 100 && upstreamAborted === 0; i++) await sleep(20)
    expect(upstreamAborted).toBe(1)
  })
})
