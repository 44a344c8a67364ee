import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readChatEvents as readEvents, startTestPlatform, TEST_ADMIN, type StreamedChatEvent as StreamedEvent, type TestPlatform } from '@plugboard/studio/testing'

const source = `file://${fileURLToPath(new URL('..', import.meta.url))}`

/** A refusal's status and error body. */
const refusal = async (response: Response) => ({ status: response.status, error: ((await response.json()) as { error: { code: string; details?: unknown } }).error })

const textOf = (events: StreamedEvent[]) => events.filter((e) => e.event === 'content').map((e) => e.data.text).join('')

describe('echo-agent in a real Studio: chat', () => {
  let test: TestPlatform
  const send = (conversation: string, content: unknown, init: RequestInit = {}, auth: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN.token}` }) =>
    fetch(`${test.url}/api/v1/chat/conversations/${conversation}/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ content }), ...init })
  const startConversation = async (target = { kind: 'agent', name: 'echo' }) => {
    const created = await test.api('POST', '/chat/conversations', { target })
    expect(created.status).toBe(201)
    return created.json.id as string
  }

  beforeAll(async () => {
    test = await startTestPlatform()
    await test.installPlugin('echo', source)
    expect((await test.api('POST', '/llms', { slug: 'mock', vendor: 'mock', models: ['mock-gpt'], mock: { completionTokens: 6 } })).status).toBe(201)
  })
  afterAll(() => test?.close())

  it('lists the agent and the LLMs the user may use as targets', async () => {
    const targets = await test.api('GET', '/chat/targets')
    expect(targets.json.items).toEqual([
      { kind: 'agent', name: 'echo', label: 'Echo agent', description: expect.stringContaining('word by word') },
      { kind: 'llm', name: 'mock', label: 'mock', description: '' },
    ])
  })

  it('streams the reply as it arrives, stores both messages, and gives the agent the stored history', async () => {
    const id = await startConversation()
    const first = await send(id, 'hello plugboard world')
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events = await readEvents(first)
    expect(events[0]).toEqual({ event: 'thinking', data: { text: expect.stringContaining('the history holds 0 earlier messages') } })
    expect(events.filter((e) => e.event === 'content').length).toBeGreaterThanOrEqual(4)
    expect(textOf(events)).toBe('Echo: hello plugboard world\n(I got 0 earlier messages in the history.)')
    expect(events.at(-1)).toEqual({ event: 'done', data: { userMessageId: expect.any(String), messageId: expect.any(String) } })

    const second = await readEvents(await send(id, 'again'))
    expect(textOf(second)).toBe('Echo: again\n(I got 2 earlier messages in the history.)')

    const stored = await test.api('GET', `/chat/conversations/${id}`)
    expect(stored.json).toMatchObject({ id, title: 'hello plugboard world', target: { kind: 'agent', name: 'echo' } })
    expect(stored.json.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'hello plugboard world'],
      ['assistant', 'Echo: hello plugboard world\n(I got 0 earlier messages in the history.)'],
      ['user', 'again'],
      ['assistant', 'Echo: again\n(I got 2 earlier messages in the history.)'],
    ])
    expect(stored.json.messages[1].parts).toEqual([{ type: 'thinking', text: expect.stringContaining('0 earlier messages') }])
    const listed = await test.api('GET', '/chat/conversations')
    expect(listed.json.items[0]).toMatchObject({ id, title: 'hello plugboard world' })
  })

  it('keeps the partial answer and records the error when the agent fails mid-stream (#fail)', async () => {
    const id = await startConversation()
    const events = await readEvents(await send(id, 'one two three four #fail'))
    expect(textOf(events)).toBe('Echo: one two three ')
    expect(events.at(-2)).toEqual({ event: 'error', data: { code: 'ECHO_FAILED', message: 'asked to fail (#fail) after 3 of 5 words' } })
    expect(events.at(-1)!.event).toBe('done')
    const stored = (await test.api('GET', `/chat/conversations/${id}`)).json.messages[1]
    expect(stored).toMatchObject({ role: 'assistant', content: 'Echo: one two three ', parts: [{ type: 'thinking' }, { type: 'error', code: 'ECHO_FAILED' }] })
  })

  it('shows tool calls and their results as events, stored as parts', async () => {
    const id = await startConversation()
    const events = await readEvents(await send(id, 'count me #tool'))
    expect(events.slice(1, 3)).toEqual([
      { event: 'tool_call', data: { id: 'count-1', name: 'count_words', arguments: { text: 'count me #tool' } } },
      { event: 'tool_result', data: { id: 'count-1', result: { words: 3 }, isError: false } },
    ])
    const stored = (await test.api('GET', `/chat/conversations/${id}`)).json.messages[1]
    expect(stored.parts.map((part: { type: string }) => part.type)).toEqual(['thinking', 'tool_call', 'tool_result'])
  })

  it('cancels the agent when the browser goes away, keeping what arrived with CHAT_REPLY_INTERRUPTED', async () => {
    const id = await startConversation()
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ')
    const abort = new AbortController()
    const response = await send(id, long, { signal: abort.signal })
    let contents = 0
    await readEvents(response, (event) => {
      if (event.event === 'content' && ++contents === 3) {
        abort.abort()
        return true
      }
    }).catch(() => undefined)
    // The reply is stored once the cancelled call ended.
    let stored: any
    for (let i = 0; i < 100 && !(stored = (await test.api('GET', `/chat/conversations/${id}`)).json.messages[1]); i++) await new Promise((r) => setTimeout(r, 20))
    expect(stored.content.startsWith('Echo: w0 w1')).toBe(true)
    expect(stored.content.length).toBeLessThan(long.length / 2)
    expect(stored.parts.at(-1)).toMatchObject({ type: 'error', code: 'CHAT_REPLY_INTERRUPTED' })
  })

  it('talks to a plain LLM through the gateway pipeline, streamed and stored', async () => {
    const id = await startConversation({ kind: 'llm', name: 'mock' })
    const events = await readEvents(await send(id, 'Say hello'))
    expect(events.filter((e) => e.event === 'content').length).toBeGreaterThan(1)
    expect(events.at(-1)!.event).toBe('done')
    const stored = (await test.api('GET', `/chat/conversations/${id}`)).json.messages
    expect(stored[1]).toMatchObject({ role: 'assistant', content: textOf(events), parts: [] })
    expect(textOf(events)).toMatch(/\S/)
  })

  it("ends an LLM conversation's reply with the gateway's error when the LLM cannot be reached", async () => {
    expect((await test.api('POST', '/llms', { slug: 'down', vendor: 'openai', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-unreachable', models: ['gpt-x'] })).status).toBe(201)
    const id = await startConversation({ kind: 'llm', name: 'down' })
    const events = await readEvents(await send(id, 'anyone?'))
    expect(events.map((e) => e.event)).toEqual(['error', 'done'])
    expect(events[0]!.data).toEqual({ code: 'UPSTREAM_UNREACHABLE', message: expect.stringContaining('could not be reached') })
    const stored = (await test.api('GET', `/chat/conversations/${id}`)).json.messages[1]
    expect(stored).toMatchObject({ content: '', parts: [{ type: 'error', code: 'UPSTREAM_UNREACHABLE' }] })
    expect((await test.api('DELETE', '/llms/down')).status).toBe(204)
  })

  it('refuses bad input with the codes it documents', async () => {
    const id = await startConversation()
    expect((await test.api('POST', '/chat/conversations', { target: { kind: 'agent', name: 'nope' } })).json.error.code).toBe('NOT_FOUND')
    expect((await test.api('POST', '/chat/conversations', { target: { kind: 'llm', name: 'nope' } })).status).toBe(404)
    const empty = await send(id, '   ')
    expect(await refusal(empty)).toEqual({ status: 422, error: expect.objectContaining({ code: 'VALIDATION_FAILED', details: [{ path: '/content', message: 'must not be blank' }] }) })
    const large = await send(id, 'x'.repeat(32_001))
    expect(await refusal(large)).toMatchObject({ status: 413, error: { code: 'BODY_TOO_LARGE' } })
    const huge = await send(id, '"'.repeat(200_000))
    expect(huge.status).toBe(413)
    expect((await send('no-such-conversation', 'hi')).status).toBe(404)

    const streaming = await send(id, Array.from({ length: 40 }, () => 'word').join(' '))
    const concurrent = await send(id, 'me too')
    expect(await refusal(concurrent)).toMatchObject({ status: 409, error: { code: 'CHAT_REPLY_IN_PROGRESS' } })
    await readEvents(streaming)
    expect((await send(id, 'now')).status).toBe(200)
  })

  it('answers 503 PLUGIN_NOT_RUNNING when the agent has no running process, storing nothing', async () => {
    await test.installPlugin('echo-stopped', source)
    const id = await startConversation({ kind: 'agent', name: 'echo-stopped' })
    await test.platform.studio.plugins.studioHalf('echo-stopped')!.stop()
    expect(await refusal(await send(id, 'anyone there?'))).toMatchObject({ status: 503, error: { code: 'PLUGIN_NOT_RUNNING', message: expect.stringContaining('stopped') } })
    expect((await test.api('GET', `/chat/conversations/${id}`)).json.messages).toEqual([])
  })

  it("hides one user's conversations from another: 404, never listed", async () => {
    const id = await startConversation()
    expect((await test.api('POST', '/users', { email: 'portal@example.com', role: 'portal', password: 'portal user password 1' })).status).toBe(201)
    const login = await fetch(`${test.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'portal@example.com', password: 'portal user password 1' }) })
    const { csrfToken } = (await login.json()) as { csrfToken: string }
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    const auth = { cookie, 'x-csrf-token': csrfToken }
    const get = (path: string, method = 'GET') => fetch(`${test.url}/api/v1/chat${path}`, { method, headers: auth })
    expect((await get(`/conversations/${id}`)).status).toBe(404)
    expect((await get(`/conversations/${id}`, 'DELETE')).status).toBe(404)
    expect((await send(id, 'hi', {}, auth)).status).toBe(404)
    expect(((await (await get('/conversations')).json()) as { items: unknown[] }).items).toEqual([])
    // The portal user is granted no LLM: the agents only.
    expect(((await (await get('/targets')).json()) as { items: Array<{ name: string }> }).items.map((t) => t.name)).toEqual(['echo', 'echo-stopped'])
    expect((await test.api('DELETE', `/chat/conversations/${id}`)).status).toBe(204)
    expect((await test.api('GET', `/chat/conversations/${id}`)).status).toBe(404)
  })

  it('offers an agent with chat groups only to their members (and admins), checked again on every message', async () => {
    expect((await test.api('POST', '/users', { email: 'researcher@example.com', role: 'portal', password: 'researcher password 1' })).status).toBe(201)
    const login = await fetch(`${test.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'researcher@example.com', password: 'researcher password 1' }) })
    const { csrfToken, user } = (await login.json()) as { csrfToken: string; user: { id: string } }
    const auth = { cookie: login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), 'x-csrf-token': csrfToken }
    const asUser = (method: string, path: string, body?: unknown) =>
      fetch(`${test.url}/api/v1/chat${path}`, { method, headers: { ...auth, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) })
    const targets = async () => ((await (await asUser('GET', '/targets')).json()) as { items: Array<{ name: string }> }).items.map((t) => t.name)
    const open = (await (await asUser('POST', '/conversations', { target: { kind: 'agent', name: 'echo' } })).json()) as { id: string }

    const unknown = await test.api('PATCH', '/plugins/echo', { chatGroups: ['Nobody'] })
    expect(unknown).toMatchObject({ status: 422, json: { error: { code: 'REFERENCE_NOT_FOUND', details: [{ path: '/chatGroups/0' }] } } })
    const group = (await test.api('POST', '/groups', { name: 'Researchers' })).json as { id: string }
    const restricted = await test.api('PATCH', '/plugins/echo', { chatGroups: ['Researchers'] })
    expect(restricted.json.binding.chatGroups).toEqual(['Researchers'])

    expect(await targets()).not.toContain('echo')
    expect((await asUser('POST', '/conversations', { target: { kind: 'agent', name: 'echo' } })).status).toBe(404)
    // A conversation opened while the agent was open to everyone is refused too, and stores nothing.
    expect(await refusal(await send(open.id, 'still there?', {}, auth))).toMatchObject({ status: 404, error: { code: 'NOT_FOUND' } })
    expect(((await (await asUser('GET', `/conversations/${open.id}`)).json()) as { messages: unknown[] }).messages).toEqual([])
    expect((await test.api('GET', '/chat/targets')).json.items.map((t: { name: string }) => t.name)).toContain('echo')

    expect((await test.api('PUT', `/groups/${group.id}/members`, { userIds: [user.id] })).status).toBe(200)
    expect(await targets()).toContain('echo')
    expect(textOf(await readEvents(await send(open.id, 'hello researchers', {}, auth)))).toContain('Echo: hello researchers')

    expect((await test.api('PATCH', '/plugins/echo', { chatGroups: [] })).json.binding.chatGroups).toEqual([])
  })
})
