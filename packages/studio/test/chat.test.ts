import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_CONVERSATIONS_PER_USER, MAX_MESSAGES_PER_CONVERSATION } from '../src/chat/chat-routes.js'
import { ConversationStore } from '../src/chat/conversation-store.js'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'
import { signIn } from './sign-in.js'

describe.each(DATABASES)('chat conversations on %s', (kind) => {
  let s: TestStudio
  let store: ConversationStore
  let adminId: string
  beforeAll(async () => {
    s = await startStudio(kind)
    store = new ConversationStore(s.studio.database.db)
    adminId = (await s.api('GET', '/api/v1/me')).json.id
    expect((await s.api('POST', '/api/v1/llms', { slug: 'mock', vendor: 'mock', models: ['mock-gpt'] })).status).toBe(201)
  })
  afterAll(() => s?.close())

  it('lists the most recently active first, page by page, and keeps messages in the order they were written', async () => {
    const ids: string[] = []
    // A millisecond apart at least: conversations active within the same millisecond have no order between them.
    for (const title of ['first', 'second', 'third']) {
      ids.push((await store.create(adminId, { kind: 'llm', name: 'mock' }, title)).id)
      await sleep(3)
    }
    // Within one millisecond: the order is the order of writing, not of the clock.
    await store.append(ids[0]!, { role: 'user', content: 'q' })
    await store.append(ids[0]!, { role: 'assistant', content: 'a', parts: [{ type: 'error', code: 'X', message: 'm' }] })
    const first = await s.api('GET', '/api/v1/chat/conversations?limit=2')
    expect(first.json.items.map((c: { title: string }) => c.title)).toEqual(['first', 'third'])
    const second = await s.api('GET', `/api/v1/chat/conversations?limit=2&cursor=${first.json.nextCursor}`)
    expect(second.json).toEqual({ items: [expect.objectContaining({ title: 'second' })], nextCursor: null })
    expect((await store.messages(ids[0]!)).map((m) => [m.role, m.content, m.parts])).toEqual([
      ['user', 'q', []],
      ['assistant', 'a', [{ type: 'error', code: 'X', message: 'm' }]],
    ])
  })

  it('titles an untitled conversation with its first message, once', async () => {
    const created = await s.api('POST', '/api/v1/chat/conversations', { target: { kind: 'llm', name: 'mock' } })
    expect(created.json).toMatchObject({ title: '', target: { kind: 'llm', name: 'mock' } })
    await store.append(created.json.id, { role: 'user', content: `  many\n words ${'x'.repeat(100)}` })
    await store.append(created.json.id, { role: 'user', content: 'later' })
    expect((await s.api('GET', `/api/v1/chat/conversations/${created.json.id}`)).json.title).toBe(`many words ${'x'.repeat(69)}`)
  })

  it('answers 503 CHAT_LLM_UNAVAILABLE for an LLM conversation on a Studio without a gateway, storing nothing', async () => {
    const created = await s.api('POST', '/api/v1/chat/conversations', { target: { kind: 'llm', name: 'mock' } })
    const sent = await s.api('POST', `/api/v1/chat/conversations/${created.json.id}/messages`, { content: 'hello' })
    expect([sent.status, sent.json.error.code]).toEqual([503, 'CHAT_LLM_UNAVAILABLE'])
    expect((await s.api('GET', `/api/v1/chat/conversations/${created.json.id}`)).json.messages).toEqual([])
  })

  it('deletes a conversation with its messages, and a deleted user takes theirs along', async () => {
    const user = (await s.api('POST', '/api/v1/users', { email: 'leaving@example.com', role: 'portal' })).json
    const theirs = await store.create(user.id, { kind: 'llm', name: 'mock' }, 'theirs')
    await store.append(theirs.id, { role: 'user', content: 'bye' })
    expect((await s.api('GET', `/api/v1/chat/conversations/${theirs.id}`)).status).toBe(404)
    expect((await s.api('DELETE', `/api/v1/users/${user.id}`)).status).toBe(204)
    const db = s.studio.database.db
    expect(await db.selectFrom('conversations').select('id').where('id', '=', theirs.id).execute()).toEqual([])
    expect(await db.selectFrom('conversation_messages').select('id').where('conversation', '=', theirs.id).execute()).toEqual([])
  })

  it('gives a reply the latest messages whose content fits, oldest first, without reading the rest', async () => {
    const { id } = await store.create(adminId, { kind: 'llm', name: 'mock' }, 'history')
    for (const content of ['aaaa', 'bb', 'cc', 'd']) await store.append(id, { role: 'user', content })
    const recent = async (maxChars: number) => (await store.recentMessages(id, maxChars)).map((m) => m.content)
    expect(await recent(5)).toEqual(['bb', 'cc', 'd'])
    expect(await recent(9)).toEqual(['aaaa', 'bb', 'cc', 'd'])
    expect(await recent(4)).toEqual(['cc', 'd'])
    expect(await recent(0)).toEqual([])
    const { id: long } = await store.create(adminId, { kind: 'llm', name: 'mock' }, 'long first')
    for (const content of ['x'.repeat(10), 'y']) await store.append(long, { role: 'user', content })
    expect((await store.recentMessages(long, 5)).map((m) => m.content)).toEqual(['y'])
  })

  it('refuses a conversation past the per-user limit and a message past the per-conversation limit with 409 QUOTA_EXCEEDED', async () => {
    const user = (await s.api('POST', '/api/v1/users', { email: 'talkative@example.com', role: 'admin', password: 'talkative user password 1' })).json
    const db = s.studio.database.db
    await db
      .insertInto('conversations')
      .values(Array.from({ length: MAX_CONVERSATIONS_PER_USER }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, user_id: user.id, title: `c${i}`, target_kind: 'llm' as const, target_name: 'mock' })))
      .execute()
    const asUser = (await signIn(s, 'talkative@example.com', 'talkative user password 1')).api
    const refused = await asUser('POST', '/api/v1/chat/conversations', { target: { kind: 'llm', name: 'mock' } })
    expect([refused.status, refused.json.error.code]).toEqual([409, 'QUOTA_EXCEEDED'])
    expect(refused.json.error.message).toContain(`${MAX_CONVERSATIONS_PER_USER} conversations`)
    expect((await asUser('DELETE', '/api/v1/chat/conversations/00000000-0000-4000-8000-000000000000')).status).toBe(204)
    const full = await asUser('POST', '/api/v1/chat/conversations', { target: { kind: 'llm', name: 'mock' } })
    expect(full.status).toBe(201)

    await db
      .insertInto('conversation_messages')
      .values(Array.from({ length: MAX_MESSAGES_PER_CONVERSATION - 1 }, (_, i) => ({ id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`, conversation: full.json.id, role: 'user' as const, content: 'q', parts: '[]' })))
      .execute()
    const sent = await asUser('POST', `/api/v1/chat/conversations/${full.json.id}/messages`, { content: 'one more' })
    expect([sent.status, sent.json.error.code]).toEqual([409, 'QUOTA_EXCEEDED'])
    expect(await store.messageCount(full.json.id)).toBe(MAX_MESSAGES_PER_CONVERSATION - 1)
  })

  it('lets one reply at a time hold a conversation, across Studio nodes (the claim is in the database), and frees a claim that ran out', async () => {
    const { id } = await store.create(adminId, { kind: 'llm', name: 'mock' }, 'claims')
    const other = new ConversationStore(s.studio.database.db)
    const claims = await Promise.all([store.claimReply(id, 60_000), other.claimReply(id, 60_000), store.claimReply(id, 60_000)])
    expect(claims.filter(Boolean)).toHaveLength(1)
    const sent = await s.api('POST', `/api/v1/chat/conversations/${id}/messages`, { content: 'while another streams' })
    expect([sent.status, sent.json.error.code]).toEqual([409, 'CHAT_REPLY_IN_PROGRESS'])
    await store.releaseReply(id)
    expect(await other.claimReply(id, 1)).toBe(true)
    await sleep(20)
    expect(await store.claimReply(id, 60_000)).toBe(true)
    await store.releaseReply(id)
    // A refused reply (no gateway here) releases its claim.
    expect((await s.api('POST', `/api/v1/chat/conversations/${id}/messages`, { content: 'x' })).status).toBe(503)
    expect(await store.claimReply(id, 60_000)).toBe(true)
  })
})
