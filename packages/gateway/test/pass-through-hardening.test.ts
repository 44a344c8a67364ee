import { request } from 'node:http'
import { connect } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBudgetStore, type Gateway } from '@plugboard/gateway'
import { DEMO_KEY, fakeUpstream, startGateway, thisMonth } from './helpers.js'

// What an attacker may try on the raw pass-through, seen from the upstream: nothing but the
// vendor's API under its base URL, with every body the budget can read charged.

const BUDGET_KEY = 'pb-budget-key-0000000'
const TIGHT_KEY = 'pb-tight-key-00000000'
const answer = { id: 'resp-1', object: 'response', usage: { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 } }

let gateway: Gateway
let upstream: Awaited<ReturnType<typeof fakeUpstream>>
const budgets = new MemoryBudgetStore()

beforeAll(async () => {
  upstream = await fakeUpstream((req, res, body) => {
    // As RFC 9110 has TRACE answer: the request as received, headers and all.
    if (req.method === 'TRACE') {
      res.writeHead(200, { 'content-type': 'message/http' })
      return res.end(`TRACE ${req.url} HTTP/1.1\r\n${Object.entries(req.headers).map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n`)
    }
    // As some OpenAI-compatible servers refuse a key: quoting it.
    if (req.headers['x-refuse']) {
      res.writeHead(Number(req.headers['x-refuse']), { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}`, code: 'invalid_api_key' } }))
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    // The legacy completions API bills its `prompt`, about 4 characters a token.
    if (req.url === '/v1/completions' || req.url === '/v1/chat/completions') return res.end(JSON.stringify({ ...answer, usage: { prompt_tokens: Math.ceil(body.length / 4), completion_tokens: 10 } }))
    res.end(JSON.stringify(answer))
  })
  ;({ gateway } = await startGateway({
    budgets,
    llms: `
  - slug: up
    vendor: openai
    baseUrl: ${upstream.url}/v1
    apiKey: sk-vendor-secret
    models: [up]`,
    apps: `
  - id: budgeted
    keys: [{ value: ${BUDGET_KEY} }]
    allowedLlms: [up]
    monthlyBudget: 100
  - id: tight
    keys: [{ value: ${TIGHT_KEY} }]
    allowedLlms: [up]
    monthlyBudget: 0.015
  - id: tools
    keys: [{ value: pb-tools-key-00000000 }]
    allowedLlms: [up]
    monthlyBudget: 0.015`,
    pricing: '  up: { input: 1, output: 2 }',
  }))
})

afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

/** A request as node:http sends it: any method, the path exactly as given. */
function send(method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer | string } = {}) {
  const url = new URL(gateway.url)
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { authorization: `Bearer ${DEMO_KEY}`, ...options.headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

describe('the raw pass-through, attacked', () => {
  it('refuses TRACE, which an upstream echoes with the vendor key in it', async () => {
    const before = upstream.requests.length
    const response = await send('TRACE', '/llm/up/v1/models')
    expect(response.status).toBe(405)
    expect(JSON.parse(response.text).error.code).toBe('METHOD_NOT_ALLOWED')
    expect(response.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE')
    expect(response.text).not.toContain('sk-vendor-secret')
    expect(upstream.requests.length).toBe(before)
  })

  it.each(['/llm/up/v1/files/..%2f..%2fadmin', '/llm/up/v1/files/..%2F..%2Fadmin', '/llm/up/v1/files/..%5cadmin'])('refuses the escaped separators of %s: a decoding upstream would leave the base URL', async (path) => {
    const before = upstream.requests.length
    const response = await send('GET', path)
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text).error.code).toBe('BAD_REQUEST')
    expect(upstream.requests.length).toBe(before)
  })

  it('charges a JSON body sent as text/plain, which a vendor may read anyway', async () => {
    const body = JSON.stringify({ model: 'up', input: 'hello', max_output_tokens: 10 })
    const response = await send('POST', '/llm/up/v1/responses', { headers: { authorization: `Bearer ${BUDGET_KEY}`, 'content-type': 'text/plain' }, body })
    expect(response.status).toBe(200)
    expect(upstream.requests.at(-1)?.body).toBe(body)
    // 1000 prompt and 1000 completion tokens at $1 and $2 per million.
    expect((await budgets.usage('app:budgeted', thisMonth())).spent).toBeCloseTo(0.003, 6)
  })

  it('reserves for a prompt in any field, so concurrent requests cannot overspend the budget', async () => {
    // About 10,000 tokens of prompt ($0.01 at $1 a million), in the completions API's `prompt`.
    const body = JSON.stringify({ model: 'up', prompt: 'word '.repeat(8000), max_tokens: 10 })
    const headers = { authorization: `Bearer ${TIGHT_KEY}`, 'content-type': 'application/json' }
    const answers = await Promise.all(Array.from({ length: 6 }, () => send('POST', '/llm/up/v1/completions', { headers, body })))
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1)
    expect(answers.every((a) => a.status === 200 || JSON.parse(a.text).error.code === 'BUDGET_EXCEEDED')).toBe(true)
    // At most the limit plus one request's reservation ($0.01001).
    expect((await budgets.usage('app:tight', thisMonth())).spent).toBeLessThan(0.015 + 0.0101)
  })

  it('sends upstream the request id it answers with, not one it refused as malformed', async () => {
    const response = await send('GET', '/llm/up/v1/models', { headers: { 'x-request-id': 'bad id {"level":60}' } })
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(upstream.requests.at(-1)?.headers['x-request-id']).toBe(response.headers['x-request-id'])
  })

  it('still relays a body that is not JSON, whatever its type', async () => {
    const response = await send('POST', '/llm/up/v1/files', { headers: { 'content-type': 'text/plain' }, body: '{not json' })
    expect(response.status).toBe(200)
    expect(upstream.requests.at(-1)?.body).toBe('{not json')
  })

  it('refuses an encoded body, which neither the budget nor plugins can read', async () => {
    const before = upstream.requests.length
    const body = gzipSync(JSON.stringify({ model: 'up', input: 'hello' }))
    const response = await send('POST', '/llm/up/v1/responses', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body })
    expect(response.status).toBe(415)
    expect(JSON.parse(response.text).error.code).toBe('UNSUPPORTED_CONTENT_ENCODING')
    expect(upstream.requests.length).toBe(before)
  })
})

describe('the budget on the vendor routes', () => {
  it('reserves for the tool definitions of a chat request, billed as prompt', async () => {
    const TOOL_KEY = 'pb-tools-key-00000000'
    // About 10,000 tokens ($0.01) of tool definitions, next to one short message.
    const tools = [{ type: 'function', function: { name: 'lookup', description: 'word '.repeat(8000), parameters: { type: 'object' } } }]
    const body = JSON.stringify({ model: 'up', messages: [{ role: 'user', content: 'hi' }], tools, max_tokens: 10 })
    const headers = { authorization: `Bearer ${TOOL_KEY}`, 'content-type': 'application/json' }
    const answers = await Promise.all(Array.from({ length: 6 }, () => send('POST', '/v1/chat/completions', { headers, body })))
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1)
    expect(answers.every((a) => a.status === 200 || JSON.parse(a.text).error.code === 'BUDGET_EXCEEDED')).toBe(true)
    expect((await budgets.usage('app:tools', thisMonth())).spent).toBeLessThan(0.015 + 0.0101)
  })
})

describe('an upstream that quotes the vendor key it refused', () => {
  const chat = JSON.stringify({ model: 'up', messages: [{ role: 'user', content: 'hi' }] })
  it.each([
    ['the vendor route', '/v1/chat/completions', '401'],
    ['the vendor route, streaming', '/v1/chat/completions', '403'],
    ['the pass-through', '/llm/up/v1/responses', '401'],
  ])('is answered on %s with a 502 UPSTREAM_ERROR that does not hold the key', async (_name, path, status) => {
    const body = _name.endsWith('streaming') ? JSON.stringify({ ...JSON.parse(chat), stream: true }) : chat
    const response = await send('POST', path, { headers: { 'content-type': 'application/json', 'x-refuse': status }, body })
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-vendor-secret')
    expect(response.status).toBe(502)
    const { error } = JSON.parse(response.text)
    expect(error.code).toBe('UPSTREAM_ERROR')
    expect(error.message).toContain(`upstream answered ${status}: Incorrect API key provided: Bearer [vendor key]`)
    expect(response.text).not.toContain('sk-vendor-secret')
  })
})

describe('CONNECT', () => {
  it('gets a JSON 405, not a dropped connection', async () => {
    const url = new URL(gateway.url)
    const socket = connect(Number(url.port), url.hostname)
    socket.write(`CONNECT ${upstream.url.slice('http://'.length)} HTTP/1.1\r\nhost: x\r\n\r\n`)
    let text = ''
    socket.setEncoding('utf8')
    for await (const chunk of socket) text += chunk as string
    const [head, body] = text.split('\r\n\r\n')
    expect(head).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/)
    expect(JSON.parse(body!).error.code).toBe('METHOD_NOT_ALLOWED')
  })
})

describe('the response-body hooks on the pass-through', () => {
  const redactor = new URL('../../../examples/plugins/pii-redactor', import.meta.url).href
  let hooked: Gateway
  let llm: Awaited<ReturnType<typeof fakeUpstream>>

  beforeAll(async () => {
    llm = await fakeUpstream((req, res, body) => {
      if (req.url === '/v1/empty') return res.writeHead(204, { 'content-type': 'application/json' }).end()
      if ((JSON.parse(body || '{}') as { stream?: boolean }).stream) {
        // The address is cut across two events, as a model streams it.
        const event = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        return res.end(`${event('write to ada@exa')}${event('mple.com today')}data: [DONE]\n\n`)
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      const message = { role: 'assistant', content: 'write to ada@example.com' }
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 5 } }))
    })
    ;({ gateway: hooked } = await startGateway({
      llms: `
  - slug: up
    vendor: openai
    baseUrl: ${llm.url}/v1
    apiKey: sk-vendor-secret
    models: [up]`,
      yaml: `
plugins:
  - name: pii-redactor
    source: ${redactor}
    failurePolicy: fail-closed`,
    }))
  })

  afterAll(async () => {
    await hooked?.close()
    await llm?.close()
  })

  it.each(['/v1/chat/completions', '/llm/up/v1/chat/completions/'])('redacts a completion answered on %s', async (path) => {
    const response = await fetch(`${hooked.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up', messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(response.status).toBe(200)
    const completion = (await response.json()) as { choices: Array<{ message: { content: string } }> }
    expect(completion.choices[0]!.message.content).toBe('write to [EMAIL]')
  })

  it.each(['/v1/chat/completions', '/llm/up/v1/chat/completions/'])('redacts a completion streamed on %s, each event through the chunk hooks', async (path) => {
    const response = await fetch(`${hooked.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const text = await response.text()
    const content = text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map((event) => (JSON.parse(event.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('')
    expect(text).not.toContain('ada@')
    expect(content).toBe('write to [EMAIL] today')
    expect(text).toContain('data: [DONE]')
  })

  it.each([
    ['HEAD', '/llm/up/v1/models', 200],
    ['DELETE', '/llm/up/v1/empty', 204],
  ])('relays %s %s, which has no body to read, as it is', async (method, path, status) => {
    const url = new URL(hooked.url)
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method, path, headers: { authorization: `Bearer ${DEMO_KEY}` } }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      req.end()
    })
    expect(answer).toBe(status)
  })
})
