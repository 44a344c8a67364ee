import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { DEMO_KEY, fakeUpstream, fixtureSource, post, startGateway } from './helpers.js'

// No input gives a 5xx: malformed URLs, what Node's HTTP parser refuses, wrong methods, and a fuzzer.

let gateway: Gateway
let upstream: Awaited<ReturnType<typeof fakeUpstream>>

beforeAll(async () => {
  upstream = await fakeUpstream((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
  ;({ gateway } = await startGateway({
    llms: `
  - slug: up
    vendor: openai
    baseUrl: ${upstream.url}
    apiKey: sk-upstream
    models: [up]`,
    yaml: `plugins: [{ name: hooks, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [custom_endpoints] }]`,
  }))
})
afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

/** Sends raw bytes and returns what came back before the server closed the connection. */
function rawRequest(bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(gateway.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let answer = ''
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
    socket.on('end', () => resolve(answer))
    socket.on('close', () => resolve(answer))
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(answer) : reject(error)))
    socket.end(bytes)
  })
}

function parseRaw(answer: string): { status: number; headers: string; body: any } {
  const [head, ...rest] = answer.split('\r\n\r\n')
  const body = rest.join('\r\n\r\n')
  return { status: Number(head!.split(' ')[1]), headers: head!.toLowerCase(), body: body ? JSON.parse(body) : undefined }
}

describe('errors outside the pipeline have the same JSON body as every other error', () => {
  it('answers a malformed %-escape in a plugin-endpoint path with 400 BAD_REQUEST', async () => {
    const response = await fetch(`${gateway.url}/plugins/hooks/hello/%E0%A4%A`)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { code: 'BAD_REQUEST', type: 'invalid_request_error' } })
    expect((await fetch(`${gateway.url}/plugins/hooks/hello/ad%61`)).status).toBe(200)
  })

  it.each([
    ['GET', '/v1/chat/completions', 'POST'],
    ['PUT', '/v1/embeddings', 'POST'],
    ['POST', '/v1/models', 'GET, HEAD'],
    ['DELETE', '/health', 'GET, HEAD'],
    ['POST', '/metrics', 'GET, HEAD'],
  ])('answers %s %s with 405 METHOD_NOT_ALLOWED and allow: %s', async (method, path, allow) => {
    const response = await fetch(`${gateway.url}${path}`, { method, headers: { authorization: `Bearer ${DEMO_KEY}` } })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe(allow)
    expect(await response.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } })
  })

  it.each([
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a malformed header', 'GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400, 'BAD_REQUEST'],
    ['headers over the limit', `GET /health HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['an unmeetable Expect', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: the-unexpected\r\nContent-Length: 2\r\n\r\n{}', 417, 'EXPECTATION_FAILED'],
  ])('answers %s with %i %s in JSON', async (_name, bytes, status, code) => {
    const answer = parseRaw(await rawRequest(bytes))
    expect(answer.status).toBe(status)
    expect(answer.headers).toContain('content-type: application/json')
    expect(answer.body).toMatchObject({ error: { code, message: expect.any(String), type: 'invalid_request_error' } })
  })
})

/** A small seeded PRNG (mulberry32): a failing case can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('a fuzzer', () => {
  it('gets no 5xx from hostile bodies, paths and methods, and leaves the server up', async () => {
    const next = random(8)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
    const hostile: unknown[] = [null, true, 0, -1, 1e308, -1e-308, 1.5, '', 'x'.repeat(5000), '\u0000\ud800', [], [null], [[[]]], {}, { __proto__: { a: 1 } }, { constructor: 'x' }, [{}], [''], [1, 'a'], { type: 'text' }]
    const valid = {
      chat: { model: 'mock-gpt', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_tokens: 5, stream: false, tools: [{ type: 'function', function: { name: 'f' } }], n: 1 },
      embeddings: { model: 'mock-gpt', input: ['a', 'b'], dimensions: 4 },
    }
    /** A valid body with one value somewhere inside replaced by a hostile one. */
    const mutate = (value: unknown, depth = 0): unknown => {
      if (depth > 0 && next() < 0.3) return pick(hostile)
      if (Array.isArray(value)) return value.length ? value.map((item) => (next() < 0.5 ? mutate(item, depth + 1) : item)) : [pick(hostile)]
      if (value && typeof value === 'object') {
        const copy: Record<string, unknown> = { ...value }
        const keys = Object.keys(copy)
        const key = next() < 0.2 ? pick(['role', 'content', 'model', 'input', 'messages', 'stream', 'tool_choice', 'stop']) : pick(keys)
        copy[key] = mutate(copy[key], depth + 1)
        return copy
      }
      return pick(hostile)
    }
    const paths = ['/v1/chat/completions', '/v1/embeddings', '/llm/mock/v1/chat/completions', '/llm/up/v1/responses', '/llm/up/%zz', '/plugins/hooks/hello/%', '/plugins/hooks/%E0%A4', '/plugins/%00/x', '/v1/models', '/llm/nope/x', '/%', '//', '/v1/chat/completions/../models']
    const failures: string[] = []
    for (let i = 0; i < 300; i++) {
      const path = pick(paths)
      const kind = path.includes('embeddings') ? 'embeddings' : 'chat'
      const body = next() < 0.85 ? JSON.stringify(mutate(valid[kind])) : pick(['{', '[]', '"x"', 'null', '\xff\xfe', `{"a":${'['.repeat(300)}`, ''])
      const method = next() < 0.85 ? 'POST' : pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
      const response = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { 'content-type': next() < 0.9 ? 'application/json' : 'text/plain', authorization: `Bearer ${DEMO_KEY}` },
        body: method === 'GET' ? undefined : body,
      })
      const text = await response.text()
      if (response.status >= 500) failures.push(`${method} ${path} ${body.slice(0, 300)} -> ${response.status} ${text.slice(0, 300)}`)
    }
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(next() * 200) }, () => Math.floor(next() * 256)))
      const prefix = pick(['', 'GET / HTTP/1.1\r\n', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n'])
      const answer = await rawRequest(Buffer.concat([Buffer.from(prefix), bytes]))
      const status = Number(answer.split(' ')[1])
      if (status >= 500) failures.push(`raw ${JSON.stringify(prefix)} -> ${answer.slice(0, 300)}`)
    }
    expect(failures).toEqual([])
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200)
    expect((await post(`${gateway.url}/v1/chat/completions`, valid.chat)).status).toBe(200)
  })
})
