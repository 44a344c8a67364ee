import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { fakeUpstream, post, startGateway } from './helpers.js'

type Upstream = Awaited<ReturnType<typeof fakeUpstream>>

const chunkJson = (content: string) => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: { content }, finish_reason: null }] })

/** Writes each part as its own TCP write, a moment apart, so the gateway reads them as separate chunks. */
async function writeApart(res: ServerResponse, parts: Buffer[]) {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  for (const part of parts) {
    res.write(part)
    await sleep(30)
  }
  res.end()
}

/** Splits `text` into byte chunks cut in the middle of every multi-byte character. */
function cutThroughCharacters(text: string): Buffer[] {
  const bytes = Buffer.from(text)
  const parts: Buffer[] = []
  let from = 0
  for (let i = 1; i < bytes.length; i++) {
    // a UTF-8 continuation byte: cut before it, inside its character
    if ((bytes[i]! & 0xc0) === 0x80 && (bytes[i - 1]! & 0xc0) !== 0x80) {
      parts.push(bytes.subarray(from, i))
      from = i
    }
  }
  parts.push(bytes.subarray(from))
  return parts
}

let gateway: Gateway
let url: string
let upstream: Upstream
let oversizedStreamClosed = 0

const UNICODE = 'héllo wörld 😀 — ✓'
const MAX_RESPONSE = 4096
const MAX_EVENT = 2048

beforeAll(async () => {
  upstream = await fakeUpstream((req, res, body) => {
    const { model } = JSON.parse(body || '{}') as { model: string }
    if (model === 'unicode') {
      return void writeApart(res, cutThroughCharacters(`data: ${chunkJson(UNICODE)}\r\n\r\ndata: ${chunkJson('✓')}\n\ndata: [DONE]\n\n`))
    }
    if (model === 'not-json') return res.writeHead(200, { 'content-type': 'application/json' }).end('<html>502 Bad Gateway</html>')
    if (model === 'event-not-json') return void writeApart(res, [Buffer.from(`data: ${chunkJson('fine')}\n\n`), Buffer.from('data: {"choices": [tru\n\n'), Buffer.from('data: [DONE]\n\n')])
    if (model === 'too-large') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pad: 'x'.repeat(MAX_RESPONSE) }))
    if (model === 'too-large-chunked') {
      // no content-length: the limit holds while reading
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"pad":"')
      const timer = setInterval(() => res.write('x'.repeat(1000)), 5)
      res.on('close', () => clearInterval(timer))
      return
    }
    if (model === 'endless-event') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(`data: ${chunkJson('before')}\n\ndata: "`)
      const timer = setInterval(() => res.write('x'.repeat(500)), 5)
      res.on('close', () => {
        clearInterval(timer)
        oversizedStreamClosed++
      })
      return
    }
    const status = /^status-(\d{3})$/.exec(model)?.[1]
    if (status) return res.writeHead(Number(status), { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `upstream ${status}` } }))
    if (req.url === '/v1/messages') {
      if (model === 'claude-not-json') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "msg_1", "content": [')
      if (model === 'claude-wrong-shape') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "msg_1", "content": [null]}')
      if (model === 'claude-stream-not-json') {
        return void writeApart(res, [Buffer.from('event: message_start\ndata: not json at all\n\n')])
      }
    }
    res.writeHead(500).end()
  })
  ;({ gateway, url } = await startGateway({
    server: { upstreamMaxResponseBytes: MAX_RESPONSE, upstreamMaxEventBytes: MAX_EVENT },
    llms: `
  - slug: up
    vendor: openai
    baseUrl: ${upstream.url}
    apiKey: sk-upstream
    models: [unicode, not-json, event-not-json, too-large, too-large-chunked, endless-event, status-400, status-401, status-403, status-404, status-429, status-500, status-503, status-529]
  - slug: claude
    vendor: anthropic
    baseUrl: ${upstream.url}
    apiKey: sk-ant
    models: [claude-not-json, claude-wrong-shape, claude-stream-not-json]`,
  }))
})
afterAll(async () => {
  await gateway.close()
  await upstream.close()
})

const chat = (model: string, stream = false) => ({ model, stream, messages: [{ role: 'user', content: 'hi' }] })

/** The data of each event of an SSE body. */
const dataOf = (text: string) => text.split(/\r?\n\r?\n/).filter(Boolean).map((event) => event.replace(/^data: /, ''))

describe('what an upstream answers, as the app gets it', () => {
  it('relays characters whose bytes the upstream split across writes intact, in the bytes it sent', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer pb-test-key-0123456789' },
      body: JSON.stringify(chat('unicode', true)),
    })
    const text = Buffer.from(await response.arrayBuffer()).toString('utf8')
    expect(text).not.toContain('\uFFFD')
    expect(text).toBe(`data: ${chunkJson(UNICODE)}\r\n\r\ndata: ${chunkJson('✓')}\n\ndata: [DONE]\n\n`)
  })

  it("passes the LLM's 4xx, 429, 503 and 529 on, and turns a refused vendor key or any other 5xx into 502", async () => {
    const expected = { 400: 400, 401: 502, 403: 502, 404: 404, 429: 429, 500: 502, 503: 503, 529: 529 }
    for (const [upstreamStatus, appStatus] of Object.entries(expected)) {
      const response = await post(`${url}/v1/chat/completions`, chat(`status-${upstreamStatus}`))
      expect({ upstreamStatus, status: response.status }).toEqual({ upstreamStatus, status: appStatus })
      expect(response.json).toMatchObject({ error: { code: 'UPSTREAM_ERROR', message: expect.stringContaining(`upstream ${upstreamStatus}`) } })
    }
  })

  it('answers 502 UPSTREAM_INVALID_RESPONSE for a body that is not JSON', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('not-json'))
    expect(response).toMatchObject({ status: 502, json: { error: { code: 'UPSTREAM_INVALID_RESPONSE', type: 'upstream_error' } } })
  })

  it('ends a stream with an UPSTREAM_INVALID_RESPONSE error event at an event that is not JSON, after the good ones', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('event-not-json', true))
    expect(response.status).toBe(200)
    const events = dataOf(response.text)
    expect(JSON.parse(events[0]!).choices[0].delta.content).toBe('fine')
    expect(events).toHaveLength(2)
    expect(JSON.parse(events[1]!)).toMatchObject({ error: { code: 'UPSTREAM_INVALID_RESPONSE' } })
  })

  it('answers 502 UPSTREAM_RESPONSE_TOO_LARGE past the response limit, declared or not', async () => {
    for (const model of ['too-large', 'too-large-chunked']) {
      const response = await post(`${url}/v1/chat/completions`, chat(model))
      expect(response).toMatchObject({ status: 502, json: { error: { code: 'UPSTREAM_RESPONSE_TOO_LARGE' } } })
    }
  })

  it('ends a stream whose event outgrows the limit with an error event, and hangs up on the upstream', async () => {
    const response = await post(`${url}/v1/chat/completions`, chat('endless-event', true))
    const events = dataOf(response.text)
    expect(JSON.parse(events[0]!).choices[0].delta.content).toBe('before')
    expect(JSON.parse(events.at(-1)!)).toMatchObject({ error: { code: 'UPSTREAM_RESPONSE_TOO_LARGE' } })
    for (let i = 0; i < 100 && oversizedStreamClosed === 0; i++) await sleep(20)
    expect(oversizedStreamClosed).toBe(1)
  })

  it('answers 502 UPSTREAM_INVALID_RESPONSE for an Anthropic answer that is not JSON or not a Messages response', async () => {
    for (const model of ['claude-not-json', 'claude-wrong-shape']) {
      const response = await post(`${url}/v1/chat/completions`, chat(model))
      expect(response).toMatchObject({ status: 502, json: { error: { code: 'UPSTREAM_INVALID_RESPONSE' } } })
    }
    const stream = await post(`${url}/v1/chat/completions`, chat('claude-stream-not-json', true))
    expect(JSON.parse(dataOf(stream.text).at(-1)!)).toMatchObject({ error: { code: 'UPSTREAM_INVALID_RESPONSE' } })
  })
})
