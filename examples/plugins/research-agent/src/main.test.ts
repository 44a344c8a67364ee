import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readChatEvents, startTestPlatform, TEST_ADMIN, type StreamedChatEvent, type TestPlatform } from '@plugboard/studio/testing'

const source = `file://${fileURLToPath(new URL('..', import.meta.url))}`
const SCOPES = ['datasources.query', 'tools.execute', 'llms.proxy']
const KETTLE_API = {
  openapi: '3.1.0',
  info: { title: 'Kettles', version: '1' },
  paths: { '/kettles': { get: { operationId: 'getKettle', parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }], responses: { 200: { description: 'the kettle' } } } } },
}
const CONFIG = { datasource: 'handbook', tool: 'kettles', operation: 'getKettle', toolQueryParameter: 'q' }

/** Starts `server` on a free loopback port; answers its base URL. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A request for a slow kettle: when it arrived, and when its caller gave it up (the connection closed before any answer). */
const slowCall = (() => {
  let arrived!: () => void
  let abandoned!: () => void
  return { received: new Promise<void>((resolve) => (arrived = resolve)), closed: new Promise<void>((resolve) => (abandoned = resolve)), arrived: () => arrived(), abandoned: () => abandoned() }
})()

/** The kettle tool's server: the kettle it knows, 500 when the query asks for a broken one, never an answer for a slow one. */
const toolServer = createServer((request, response) => {
  const q = new URL(request.url!, 'http://x').searchParams.get('q') ?? ''
  if (q.includes('slow')) {
    response.on('close', slowCall.abandoned)
    return slowCall.arrived()
  }
  if (q.includes('broken')) return void response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"the kettle service is down"}')
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ model: 'K1', water: 'hard', asked: q }))
})

/** An OpenAI-compatible LLM that streams two words of its answer, then breaks the connection. */
const flakyLlm = createServer((request, response) => {
  request.resume()
  response.writeHead(200, { 'content-type': 'text/event-stream' })
  const delta = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'flaky-1', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
  response.write(delta('Descale '))
  response.write(delta('monthly '))
  setTimeout(() => response.destroy(), 50)
})

const eventsOf = (events: StreamedChatEvent[]) => events.map((e) => e.event)
const textOf = (events: StreamedChatEvent[]) => events.filter((e) => e.event === 'content').map((e) => e.data.text).join('')

describe('research-agent in a real Studio: chat', () => {
  let test: TestPlatform

  const ask = async (agent: string, question: string) => {
    const created = await test.api('POST', '/chat/conversations', { target: { kind: 'agent', name: agent } })
    expect(created.status).toBe(201)
    const response = await fetch(`${test.url}/api/v1/chat/conversations/${created.json.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: question }),
    })
    expect(response.status).toBe(200)
    const events = await readChatEvents(response)
    const stored = (await test.api('GET', `/chat/conversations/${created.json.id}`)).json.messages[1]
    return { events, stored }
  }

  beforeAll(async () => {
    const [toolUrl, flakyUrl] = await Promise.all([listen(toolServer), listen(flakyLlm)])
    test = await startTestPlatform()
    const created = async (path: string, body: unknown) => expect((await test.api('POST', path, body)).status).toBe(201)
    await created('/llms', { slug: 'mock', vendor: 'mock', models: ['mock-gpt'], mock: { completionTokens: 8, chunks: 8 } })
    await created('/llms', { slug: 'flaky', vendor: 'openai', baseUrl: `${flakyUrl}/v1`, apiKey: 'sk-flaky', models: ['flaky-1'] })
    await created('/tools', { slug: 'kettles', spec: KETTLE_API, baseUrl: toolUrl })
    await created('/datasources', { slug: 'handbook' })
    await created('/datasources/handbook/documents', { name: 'kettle.md', contentType: 'text/markdown', content: '# Kettle\n\nDescale the kettle monthly with citric acid.\n\n# Toaster\n\nEmpty the crumb tray weekly.' })
    await test.installPlugin('research', source, { scopes: SCOPES, config: { ...CONFIG, llm: 'mock' } })
    // The same plugin again, its LLM given by its binding: one that breaks off mid-answer.
    await test.installPlugin('research-flaky', source, { scopes: SCOPES, config: CONFIG, binding: { llms: ['flaky'], tools: ['kettles'], datasources: ['handbook'] } })
  })
  afterAll(async () => {
    await test?.close()
    toolServer.close()
    flakyLlm.close()
  })

  it('streams thinking, the search and the tool call with their results, then the LLM answer token by token', async () => {
    const { events, stored } = await ask('research', 'How do I descale the kettle?')
    const order = eventsOf(events)
    const firstContent = order.indexOf('content')
    expect(order.slice(0, firstContent)).toEqual(['thinking', 'tool_call', 'tool_result', 'thinking', 'tool_call', 'tool_result', 'thinking'])
    expect(order.slice(firstContent)).toEqual([...Array(8).fill('content'), 'done'])

    expect(events[1]!.data).toEqual({ id: 'search-1', name: 'search_datasource', arguments: { datasource: 'handbook', query: 'how or descale or the or kettle', limit: 3 } })
    expect(events[2]!.data).toEqual({ id: 'search-1', isError: false, result: { passages: [{ document: 'kettle.md', score: expect.any(Number), content: expect.stringContaining('Descale the kettle monthly') }] } })
    expect(events[4]!.data).toEqual({ id: 'tool-1', name: 'kettles.getKettle', arguments: { parameters: { query: { q: 'how descale the kettle' } } } })
    expect(events[5]!.data).toEqual({ id: 'tool-1', isError: false, result: { status: 200, body: { model: 'K1', water: 'hard', asked: 'how descale the kettle' } } })
    // The mock LLM echoes the start of the last user message: the question, after the history and sources.
    expect(textOf(events)).toMatch(/^Mock reply to: How do I descale the/)

    expect(stored).toMatchObject({ role: 'assistant', content: textOf(events) })
    expect(stored.parts.map((part: { type: string }) => part.type)).toEqual(['thinking', 'tool_call', 'tool_result', 'thinking', 'tool_call', 'tool_result', 'thinking'])
  })

  it('keeps the partial answer and shows the error when the LLM of its binding breaks off mid-answer', async () => {
    const { events, stored } = await ask('research-flaky', 'How do I descale the kettle?')
    expect(events[0]!.data.text).toContain('then ask flaky')
    expect(eventsOf(events).slice(-4)).toEqual(['content', 'content', 'error', 'done'])
    expect(textOf(events)).toBe('Descale monthly ')
    expect(events.at(-2)!.data).toEqual({ code: 'RESEARCH_LLM_FAILED', message: expect.stringContaining('UPSTREAM_STREAM_TRUNCATED') })
    expect(stored).toMatchObject({ content: 'Descale monthly ' })
    expect(stored.parts.at(-1)).toMatchObject({ type: 'error', code: 'RESEARCH_LLM_FAILED' })
  })

  it('ends with an error after the failed tool result when the tool answers 500, without asking the LLM', async () => {
    const { events, stored } = await ask('research', 'Is my broken kettle safe?')
    expect(eventsOf(events)).toEqual(['thinking', 'tool_call', 'tool_result', 'thinking', 'tool_call', 'tool_result', 'error', 'done'])
    expect(events[5]!.data).toMatchObject({ id: 'tool-1', isError: true, result: { status: 500 } })
    expect(events[6]!.data).toEqual({ code: 'RESEARCH_TOOL_FAILED', message: 'calling kettles.getKettle failed: the tool answered 500' })
    expect(stored).toMatchObject({ content: '' })
  })

  it('stops its tool call when the browser goes away, keeping what arrived with CHAT_REPLY_INTERRUPTED', async () => {
    const created = await test.api('POST', '/chat/conversations', { target: { kind: 'agent', name: 'research' } })
    const leave = new AbortController()
    const response = await fetch(`${test.url}/api/v1/chat/conversations/${created.json.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Is my slow kettle done?' }),
      signal: leave.signal,
    })
    const reading = readChatEvents(response).catch(() => undefined)
    await slowCall.received
    const left = Date.now()
    leave.abort()
    await reading
    // The tool never answers and the agent would give it 10 s: the cancellation reached the tool's HTTP call.
    await slowCall.closed
    expect(Date.now() - left).toBeLessThan(2_000)
    let stored: any
    await expect.poll(async () => (stored = (await test.api('GET', `/chat/conversations/${created.json.id}`)).json.messages[1]), { timeout: 5_000 }).toBeDefined()
    expect(stored.parts.map((part: { type: string }) => part.type)).toEqual(['thinking', 'tool_call', 'tool_result', 'thinking', 'tool_call', 'error'])
    expect(stored.parts.at(-1)).toMatchObject({ code: 'CHAT_REPLY_INTERRUPTED' })
  })

  it('shows the binding it was given, and refuses a binding naming a tool that does not exist', async () => {
    const plugin = await test.api('GET', '/plugins/research-flaky')
    expect(plugin.json.binding).toMatchObject({ llms: ['flaky'], tools: ['kettles'], datasources: ['handbook'] })
    const refused = await test.api('PATCH', '/plugins/research-flaky', { tools: ['kettles', 'nope'] })
    expect(refused.status).toBe(422)
    expect(refused.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/tools/1' }] })
  })

  it('refuses a config that does not fit its schema', async () => {
    const refused = await test.api('PATCH', '/plugins/research', { config: { ...CONFIG, searchLimit: 99 } })
    expect(refused.status).toBe(422)
    expect(refused.json.error).toMatchObject({ code: 'PLUGIN_CONFIG_INVALID', details: [expect.objectContaining({ path: '/config/searchLimit' })] })
  })
})
