import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { fakeUpstream, post, startGateway } from './helpers.js'
import { examplePlugin } from './plugin-processes.js'

/**
 * The example plugins, written for chat completions, on each API the gateway
 * speaks: the PII redactor (post-auth, response body and chunks), the rate
 * limiter (a post-auth block) and the response-headers plugin behave the same.
 */
const APIS = ['chat.completions', 'anthropic.messages', 'responses'] as const
type Api = (typeof APIS)[number]
const KEYS: Record<Api, string> = { 'chat.completions': 'pb-chat-key-0000000000', 'anthropic.messages': 'pb-msgs-key-0000000000', responses: 'pb-resp-key-0000000000' }
const LIMIT = 5

let gateway: Gateway
let upstream: Awaited<ReturnType<typeof fakeUpstream>>

/** Sends `prompt` on `api` with that API's official client; the answer's text. */
async function ask(api: Api, model: string, prompt: string, stream: boolean): Promise<{ text: string; headers: Headers }> {
  if (api === 'anthropic.messages') {
    const client = new Anthropic({ apiKey: KEYS[api], baseURL: gateway.url, maxRetries: 0 })
    const params = { model, max_tokens: 64, messages: [{ role: 'user' as const, content: prompt }] }
    if (stream) {
      const { data, response } = await client.messages.create({ ...params, stream: true }).withResponse()
      let text = ''
      for await (const event of data) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text
      return { text, headers: response.headers }
    }
    const { data, response } = await client.messages.create(params).withResponse()
    return { text: data.content.map((block) => (block.type === 'text' ? block.text : '')).join(''), headers: response.headers }
  }
  const client = new OpenAI({ apiKey: KEYS[api], baseURL: `${gateway.url}/v1`, maxRetries: 0 })
  if (api === 'responses') {
    if (stream) {
      const { data, response } = await client.responses.create({ model, input: prompt, stream: true }).withResponse()
      let text = ''
      for await (const event of data) if (event.type === 'response.output_text.delta') text += event.delta
      return { text, headers: response.headers }
    }
    const { data, response } = await client.responses.create({ model, input: prompt }).withResponse()
    return { text: data.output_text, headers: response.headers }
  }
  if (stream) {
    const { data, response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }], stream: true }).withResponse()
    let text = ''
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? ''
    return { text, headers: response.headers }
  }
  const { data, response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }] }).withResponse()
  return { text: data.choices[0]!.message.content ?? '', headers: response.headers }
}

beforeAll(async () => {
  upstream = await fakeUpstream((_req, res, body) => {
    const request = JSON.parse(body) as { stream?: boolean }
    if (request.stream) {
      // The address is cut across two events, as a model streams it.
      const event = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
      const end = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      return res.end(`${event('write to ada@exa')}${event('mple.com today')}${end}data: [DONE]\n\n`)
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    const message = { role: 'assistant', content: 'write to ada@example.com today' }
    res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'up', choices: [{ index: 0, message, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 } }))
  })
  const apps = APIS.map((api) => `  - { id: app-${api.replace('.', '-')}, keys: [{ value: ${KEYS[api]} }], allowedLlms: ['*'] }`).join('\n')
  ;({ gateway } = await startGateway({
    llms: `  - { slug: up, vendor: openai, baseUrl: "${upstream.url}", apiKey: sk-up, models: [up] }`,
    apps,
    yaml: `
plugins:
  - { name: rate-limiter, source: ${examplePlugin('rate-limiter')}, priority: 10, scopes: [kv.readwrite], config: { requestsPerMinute: ${LIMIT} } }
  - { name: pii-redactor, source: ${examplePlugin('pii-redactor')}, priority: 20, failurePolicy: fail-closed }
  - { name: response-headers, source: ${examplePlugin('response-headers')}, config: { headers: { x-served-by: plugboard } } }`,
  }))
}, 60_000)

afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

describe.each(APIS)('the example plugins on %s', (api) => {
  it('redact the prompt before the LLM sees it (the mock echoes it), and the whole answer', async () => {
    const { text, headers } = await ask(api, 'mock-gpt', 'mail bob@example.org please', false)
    expect(text).toContain('[EMAIL]')
    expect(text).not.toContain('bob@example.org')
    expect(headers.get('x-served-by')).toBe('plugboard')
    const answer = await ask(api, 'up', 'hi', false)
    expect(answer.text).toBe('write to [EMAIL] today')
  })

  it('redact an address cut across two streamed chunks', async () => {
    const { text, headers } = await ask(api, 'up', 'hi', true)
    expect(text).toBe('write to [EMAIL] today')
    expect(headers.get('x-served-by')).toBe('plugboard')
  })

  it("limit the app's requests, answering 429 in the API's error shape", async () => {
    let status = 0
    let body: any
    for (let i = 0; i < LIMIT + 1 && status !== 429; i++) {
      const path = api === 'chat.completions' ? '/v1/chat/completions' : api === 'responses' ? '/v1/responses' : '/v1/messages'
      const payload = api === 'responses' ? { model: 'mock-gpt', input: 'x' } : { model: 'mock-gpt', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }
      ;({ status, json: body } = await post(`${gateway.url}${path}`, payload, { authorization: `Bearer ${KEYS[api]}` }))
    }
    expect(status).toBe(429)
    if (api === 'anthropic.messages') expect(body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', code: 'RATE_LIMITED' } })
    else expect(body).toMatchObject({ error: { code: 'RATE_LIMITED' } })
  })
})
