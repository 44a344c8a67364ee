import { gzipSync } from 'node:zlib'
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway, RequestRecord } from '@plugboard/gateway'
import { fakeUpstream, post, startGateway } from './helpers.js'

/**
 * The other APIs attacked: a hostile client (content the hooks never see,
 * stored files, malformed bodies), a hostile or broken upstream on the
 * native lane (error bodies with status 200, overload, non-JSON, gzip, huge
 * answers, streams that never end, fail mid-way or name no events) and on the
 * translated lane (chat completions of the wrong shape). No input gives a
 * 500; every error has a stable code in the client's API's shape.
 */

const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
const MESSAGE = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } }
const MESSAGE_START = sse('message_start', { type: 'message_start', message: { ...MESSAGE, content: [], stop_reason: null } })
const TEXT_EVENTS = [
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } }),
]

/** What the upstream answers, by the request's `x-mode` header (forwarded like any other). */
const MODES: Record<string, (res: ServerResponse) => void> = {
  'error-200': (res) => json(res, 200, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  overloaded: (res) => json(res, 529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  'not-json': (res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<html>bad gateway</html>')
  },
  gzip: (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    res.end(gzipSync(JSON.stringify(MESSAGE)))
  },
  huge: (res) => json(res, 200, { ...MESSAGE, content: [{ type: 'text', text: 'x'.repeat(200_000) }] }),
  'wrong-shape': (res) => json(res, 200, { ...MESSAGE, content: [null, 7, { type: 'text', text: 5 }] }),
  'never-ends': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(MESSAGE_START + TEXT_EVENTS.join(''))
  },
  'error-event': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(MESSAGE_START + TEXT_EVENTS.join('') + sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))
  },
  // A server that names no events and writes `type` after another field (as a serialiser that sorts or builds keys may).
  'responses-unnamed': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const response = { id: 'resp_1', object: 'response', status: 'completed', output: [], usage: { input_tokens: 2, output_tokens: 1 } }
    res.end(
      [{ sequence_number: 0, type: 'response.created', response: { ...response, status: 'in_progress' } }, { sequence_number: 1, type: 'response.output_text.delta', delta: 'ok' }, { sequence_number: 2, type: 'response.completed', response }]
        .map((event) => `data: ${JSON.stringify(event)}\n\n`)
        .join(''),
    )
  },
  'anthropic-unnamed': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const events = [MESSAGE_START, ...TEXT_EVENTS, sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }), sse('message_stop', { type: 'message_stop' })]
    res.end(events.map((event) => event.replace(/^event: .*\n/, '')).join(''))
  },
  // Named the end, but its data is not: the stream is not complete.
  'stop-in-name-only': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(MESSAGE_START + TEXT_EVENTS.join('') + sse('message_stop', { type: 'ping' }))
  },
  'responses-error-200': (res) => json(res, 200, { error: { message: 'bad', type: 'server_error' } }),
  'responses-failed': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(sse('response.created', { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', output: [] } }) + sse('response.failed', { type: 'response.failed', sequence_number: 1, response: { id: 'resp_1', error: { code: 'server_error', message: 'boom' } } }))
  },
}

/** Chat completions of the wrong shape, as a broken OpenAI-compatible upstream answers them (the translated lane), by `x-mode`. */
const COMPLETIONS: Record<string, unknown> = {
  'whole-tool-calls-not-a-list': { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'x', tool_calls: 5 }, finish_reason: 'stop' }] },
  'whole-ok': { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] },
  'whole-tool-call-null': { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'x', tool_calls: [null] }, finish_reason: 'stop' }] },
}
const CHUNKS: Record<string, unknown> = {
  'choice-null': { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [null] },
  'delta-not-an-object': { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: 5 }] },
  'tool-calls-not-a-list': { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { tool_calls: 5 } }] },
  'tool-call-null': { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { tool_calls: [null] } }] },
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

let gateway: Gateway
let upstream: Awaited<ReturnType<typeof fakeUpstream>>
const records: RequestRecord[] = []

beforeAll(async () => {
  upstream = await fakeUpstream((req, res) => {
    const mode = MODES[String(req.headers['x-mode'])]
    if (mode) return mode(res)
    if (req.url === '/chat/completions') {
      const chunk = CHUNKS[String(req.headers['x-mode'])]
      if (!chunk) return json(res, 200, COMPLETIONS[String(req.headers['x-mode'])])
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const content = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: null }] }
      return res.end(`data: ${JSON.stringify(content)}\n\ndata: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`)
    }
    json(res, 200, req.url === '/v1/responses' ? { id: 'resp_1', object: 'response', status: 'completed', output: [], usage: { input_tokens: 1, output_tokens: 1 } } : MESSAGE)
  })
  ;({ gateway } = await startGateway({
    llms: `
  - { slug: claude, vendor: anthropic, baseUrl: "${upstream.url}", apiKey: sk-ant-up, models: [claude-x] }
  - { slug: claude-translated, vendor: anthropic, baseUrl: "${upstream.url}", apiKey: sk-ant-up, models: [claude-t], nativeApis: [] }
  - { slug: chat, vendor: openai, baseUrl: "${upstream.url}", apiKey: sk-up, models: [chat-x] }
  - { slug: oai, vendor: openai, baseUrl: "${upstream.url}/v1", apiKey: sk-oai-up, models: [gpt-x], nativeApis: [responses] }`,
    server: { upstreamMaxResponseBytes: 100_000 },
    requestLog: (record) => void records.push(record),
  }))
})
afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

const messages = (body: object, headers: Record<string, string> = {}) =>
  post(`${gateway.url}/v1/messages`, { model: 'claude-x', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], ...body }, headers)
const responses = (body: object, headers: Record<string, string> = {}) => post(`${gateway.url}/v1/responses`, { model: 'gpt-x', input: 'hi', ...body }, headers)

describe('content the canonical form has no place for never goes upstream unseen by the hooks', () => {
  const document = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }
  const citation = { type: 'char_location', cited_text: 'mail bob@example.org', document_index: 0, document_title: null, start_char_index: 0, end_char_index: 5 }

  it.each([
    ['a document\'s context', { messages: [{ role: 'user', content: [{ ...document, context: 'mail bob@example.org' }] }] }, 'messages[0].content[0].context'],
    ['the citations of a text block', { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'text', text: 'a', citations: [citation] }] }, { role: 'user', content: 'more' }] }, 'messages[1].content[0].citations'],
    ['the citations of a system block', { system: [{ type: 'text', text: 's', citations: [citation] }] }, 'system[0].citations'],
  ])('refuses %s (400 INVALID_REQUEST naming it), sending nothing', async (_what, body, param) => {
    const before = upstream.requests.length
    const response = await messages(body)
    expect(response.status).toBe(400)
    expect(response.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', code: 'INVALID_REQUEST' } })
    expect(response.json.error.message).toContain(param)
    expect(upstream.requests.length).toBe(before)
  })

  const call = { type: 'function_call', call_id: 'call_1', name: 'read', arguments: '{}' }
  it.each([
    ['a stored file in a function call output', [call, { type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_file', file_id: 'file-of-another-app' }] }], 'input[1].output[0].type'],
    ['an image by file_id in a function call output', [call, { type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_image', file_id: 'file-of-another-app' }] }], 'input[1].output[0].image_url'],
    ['an image by file_id beside its URL', [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png', file_id: 'file-of-another-app' }] }], 'input[0].content[0].file_id'],
  ])('refuses %s on /v1/responses (400 naming it), sending nothing', async (_what, input, param) => {
    const before = upstream.requests.length
    const response = await responses({ input })
    expect(response.status).toBe(400)
    expect(response.json).toMatchObject({ error: { code: 'INVALID_REQUEST', param } })
    expect(upstream.requests.length).toBe(before)
  })

  it('reads a function call output given as text parts as its text', async () => {
    const output = [{ type: 'input_text', text: 'it is ' }, { type: 'input_text', text: '21 degrees' }]
    const response = await responses({ model: 'chat-x', input: [call, { type: 'function_call_output', call_id: 'call_1', output }] }, { 'x-mode': 'whole-ok' })
    expect(response.status).toBe(200)
    expect(JSON.parse(upstream.requests.at(-1)!.body).messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_1', content: 'it is 21 degrees' })
  })

  it('accepts a text block replayed from an answer, with citations null or empty', async () => {
    const response = await messages({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'text', text: 'a', citations: null }, { type: 'text', text: 'b', citations: [] }] }, { role: 'user', content: 'more' }] })
    expect(response.status).toBe(200)
  })
})

describe('a hostile client', () => {
  it('refuses a Responses stream flag that is not a boolean: the canonical reading and the native request would disagree', async () => {
    const before = upstream.requests.length
    const response = await responses({ stream: 1 })
    expect(response.status).toBe(400)
    expect(response.json).toMatchObject({ error: { code: 'INVALID_REQUEST', param: 'stream' } })
    expect(upstream.requests.length).toBe(before)
  })

  it.each([
    [{ input: [] }, 'input'],
    [{ max_output_tokens: -1 }, 'max_output_tokens'],
    [{ max_output_tokens: 2.5 }, 'max_output_tokens'],
  ])('names the Responses field at fault, not its canonical counterpart: %j', async (body, param) => {
    const response = await responses(body)
    expect(response.status).toBe(400)
    expect(response.json).toMatchObject({ error: { code: 'INVALID_REQUEST', param } })
  })

  it.each([
    ['messages', { model: 'claude-x', max_tokens: 1e300, messages: [{ role: 'user', content: 'hi' }] }],
    ['messages', { model: 'claude-x', max_tokens: 4, messages: [{ role: 'assistant', content: [] }] }],
    ['messages', { model: 'claude-x', max_tokens: 4, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: '__proto__' }] }] }],
    ['messages', { model: 'claude-x', max_tokens: 4, metadata: null, messages: [{ role: 'user', content: 'hi' }] }],
    ['messages/count_tokens', { model: 'claude-x', max_tokens: null, messages: [{ role: 'user', content: 'hi' }] }],
    ['messages/count_tokens', { model: 'claude-x', messages: 'hi' }],
    ['responses', { model: 'gpt-x', input: [{ type: 'function_call_output', call_id: 'c' }] }],
    ['responses', { model: 'gpt-x', input: [{ role: 'user', content: [{ type: 'input_image' }] }] }],
    ['responses', { model: 'gpt-x', input: 'hi', text: { format: null } }],
    ['responses', { model: 'gpt-x', input: 'hi', max_output_tokens: -1 }],
    ['responses', { model: 'gpt-x', input: 'hi', tools: [{ type: 'function', name: 'f', parameters: [] }] }],
    ['responses', { model: 'gpt-x', input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'x' }] }] }],
  ])('answers a malformed /v1/%s body without a 5xx', async (path, body) => {
    const response = await post(`${gateway.url}/v1/${path}`, body)
    expect(response.status).toBeLessThan(500)
    if (response.status >= 400) expect(typeof response.json.error.code).toBe('string')
  })
})

describe('a hostile or broken upstream on the native lane', () => {
  it.each([
    ['an error body with status 200', 'error-200', 502, 'UPSTREAM_INVALID_RESPONSE'],
    ['529 overloaded', 'overloaded', 529, 'UPSTREAM_ERROR'],
    ['a body that is not JSON', 'not-json', 502, 'UPSTREAM_INVALID_RESPONSE'],
    ['a gzip-encoded body (not asked for)', 'gzip', 502, 'UPSTREAM_INVALID_RESPONSE'],
    ['a body past upstreamMaxResponseBytes', 'huge', 502, 'UPSTREAM_RESPONSE_TOO_LARGE'],
    ['a message of the wrong shape', 'wrong-shape', 502, 'UPSTREAM_INVALID_RESPONSE'],
  ])('answers %s with its status and code in the Messages shape', async (_what, mode, status, code) => {
    const response = await messages({}, { 'x-mode': mode })
    expect(response.status).toBe(status)
    expect(response.json).toMatchObject({ type: 'error', error: { code } })
    if (status === 529) expect(response.json.error.type).toBe('overloaded_error')
  })

  it.each([
    ['never sends message_stop', 'never-ends', 'UPSTREAM_STREAM_TRUNCATED'],
    ['sends an error event mid-stream', 'error-event', 'UPSTREAM_ERROR'],
  ])('ends a stream that %s with one error event after what was relayed', async (_what, mode, code) => {
    const response = await messages({ stream: true }, { 'x-mode': mode })
    expect(response.status).toBe(200)
    const relayed = MESSAGE_START + TEXT_EVENTS.join('')
    expect(response.text.startsWith(relayed)).toBe(true)
    const rest = response.text.slice(relayed.length)
    expect(rest.match(/^event: (\S+)/gm)).toEqual(['event: error'])
    expect(JSON.parse(rest.slice(rest.indexOf('data: ') + 6))).toMatchObject({ type: 'error', error: { code } })
    await expect.poll(() => records.at(-1)?.errorCode).toBe(code)
  })

  it("relays a Messages stream whose events have no names, complete when its data says message_stop", async () => {
    const response = await messages({ stream: true }, { 'x-mode': 'anthropic-unnamed' })
    expect(response.text).not.toContain('UPSTREAM_STREAM_TRUNCATED')
    expect(response.text.endsWith('data: {"type":"message_stop"}\n\n')).toBe(true)
    await expect.poll(() => records.at(-1)).toMatchObject({ api: 'anthropic.messages', status: 200, completionTokens: 1, errorCode: null })
  })

  it.each(['claude-x', 'claude-t'])('ends a stream (%s) whose end is in the event name only with UPSTREAM_STREAM_TRUNCATED, not silently', async (model) => {
    const response = await messages({ model, stream: true }, { 'x-mode': 'stop-in-name-only' })
    expect(response.text).toMatch(/^event: error$/m)
    expect(response.text).toContain('UPSTREAM_STREAM_TRUNCATED')
    expect(response.text).not.toMatch(/"type":"message_stop"/)
  })

  it('answers a Responses error body with status 200 with 502 UPSTREAM_INVALID_RESPONSE', async () => {
    const response = await responses({}, { 'x-mode': 'responses-error-200' })
    expect(response.status).toBe(502)
    expect(response.json).toMatchObject({ error: { code: 'UPSTREAM_INVALID_RESPONSE' } })
  })

  it('relays a Responses stream whose events have no names, complete when its data says response.completed', async () => {
    const response = await responses({ stream: true }, { 'x-mode': 'responses-unnamed' })
    expect(response.text).not.toContain('UPSTREAM_STREAM_TRUNCATED')
    expect(response.text.endsWith('"response.completed","response":{"id":"resp_1","object":"response","status":"completed","output":[],"usage":{"input_tokens":2,"output_tokens":1}}}\n\n')).toBe(true)
    await expect.poll(() => records.at(-1)).toMatchObject({ api: 'responses', status: 200, promptTokens: 2, completionTokens: 1 })
    expect(records.at(-1)!.errorCode).toBeNull()
  })

  it('ends a Responses stream that fails with the error event and response.failed once', async () => {
    const response = await responses({ stream: true }, { 'x-mode': 'responses-failed' })
    expect(response.status).toBe(200)
    const types = response.text.match(/^event: (\S+)/gm)
    expect(types).toEqual(['event: response.created', 'event: error', 'event: response.failed'])
    expect(response.text).toContain('UPSTREAM_ERROR')
  })

  it('counts tokens through an upstream that answers garbage with 502, not 500', async () => {
    const response = await post(`${gateway.url}/v1/messages/count_tokens`, { model: 'claude-x', messages: [{ role: 'user', content: 'hi' }] }, { 'x-mode': 'not-json' })
    expect(response.status).toBe(502)
    expect(response.json).toMatchObject({ type: 'error', error: { code: 'UPSTREAM_INVALID_RESPONSE' } })
  })
})

describe('a canonical answer of the wrong shape (a broken OpenAI-compatible upstream, the translated lane)', () => {
  const ask = (api: 'messages' | 'responses', mode: string, stream: boolean) =>
    api === 'messages' ? messages({ model: 'chat-x', stream }, { 'x-mode': mode }) : responses({ model: 'chat-x', stream }, { 'x-mode': mode })

  it.each(['messages', 'responses'] as const)('answers a whole one on /v1/%s translated or with 502 UPSTREAM_INVALID_RESPONSE, never a 500', async (api) => {
    for (const mode of Object.keys(COMPLETIONS)) {
      const response = await ask(api, mode, false)
      if (response.status !== 200) {
        expect(response.status).toBe(502)
        expect(response.text).toContain('UPSTREAM_INVALID_RESPONSE')
      }
    }
  })

  it.each(['messages', 'responses'] as const)('ends a stream on /v1/%s translated or with UPSTREAM_INVALID_RESPONSE, never INTERNAL_ERROR', async (api) => {
    for (const mode of Object.keys(CHUNKS)) {
      const response = await ask(api, mode, true)
      expect(response.status).toBe(200)
      expect(response.text).not.toContain('INTERNAL_ERROR')
      if (/^event: error$/m.test(response.text)) expect(response.text).toContain('UPSTREAM_INVALID_RESPONSE')
    }
  })
})
