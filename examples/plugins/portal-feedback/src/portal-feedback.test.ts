import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { MAX_MESSAGE_CHARS, parseFeedback } from './feedback.js'
import { DAILY_LIMIT_PER_USER, FEEDBACK_GROUP, PortalFeedback } from './portal-feedback.js'

const alice = { user: { id: 'u-alice', email: 'alice@example.com', name: 'Alice', roles: ['portal'] }, groups: [FEEDBACK_GROUP] }
const bob = { user: { id: 'u-bob', email: 'bob@example.com', name: 'Bob', roles: ['portal'] }, groups: [FEEDBACK_GROUP] }

async function setup() {
  const clock = { now: Date.parse('2026-03-04T05:06:07.000Z') }
  const host = await createTestHost(new PortalFeedback(() => clock.now), { runtime: 'studio', scopes: ['kv.readwrite'] })
  return { host, clock }
}

describe('parseFeedback: the form payload, checked as hostile input', () => {
  it('answers the rating and the trimmed, NFC-normalised message', () => {
    expect(parseFeedback({ rating: 4, message: '  Cafe\u0301 is good\n\tthanks  ' })).toEqual({ rating: 4, message: 'Café is good\n\tthanks' })
    expect(parseFeedback({ rating: 1, message: '😀'.repeat(MAX_MESSAGE_CHARS) }).message).toHaveLength(MAX_MESSAGE_CHARS * 2)
  })

  it.each([
    ['not an object', 'hello', 'an object'],
    ['an array', [1, 'x'], 'an object'],
    ['a rating of 0', { rating: 0, message: 'x' }, 'rating'],
    ['a rating of 6', { rating: 6, message: 'x' }, 'rating'],
    ['a fractional rating', { rating: 2.5, message: 'x' }, 'rating'],
    ['a rating as text', { rating: '5', message: 'x' }, 'rating'],
    ['no message', { rating: 5 }, 'message must be text'],
    ['a blank message', { rating: 5, message: ' \n ' }, 'empty'],
    ['a message too long', { rating: 5, message: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }, `at most ${MAX_MESSAGE_CHARS}`],
    ['a NUL character', { rating: 5, message: 'a\u0000b' }, 'control'],
    ['an escape sequence', { rating: 5, message: '\u001b[31mred' }, 'control'],
    ['a bidi override', { rating: 5, message: 'abc\u202edcba' }, 'control'],
    ['a lone surrogate', { rating: 5, message: 'a\ud800b' }, 'control'],
    ['an extra field', { rating: 5, message: 'x', user: { email: 'forged@example.com' } }, 'unknown field "user"'],
  ])('refuses %s with FEEDBACK_INVALID', (_, payload, says) => {
    expect(() => parseFeedback(payload as never)).toThrow(expect.objectContaining({ code: 'FEEDBACK_INVALID', message: expect.stringContaining(says) }))
  })
})

describe('PortalFeedback (in-process)', () => {
  it('declares a portal page for the Customers group calling submit, and a dashboard page calling list', async () => {
    const { host } = await setup()
    expect(host.manifest()).toMatchObject({
      id: 'portal-feedback',
      capabilities: expect.arrayContaining(['ui_provider', 'portal_ui']),
      permissions: { services: ['kv.readwrite'] },
      ui: { routes: [{ path: '/', element: 'portal-feedback-list', module: 'feedback.js' }], sidebar: [{ path: '/' }], rpc: ['list'] },
      portal: { pages: [{ path: '/', element: 'portal-feedback-form', module: 'feedback.js', groups: ['Customers'], rpc: ['submit'] }] },
    })
  })

  it('stores feedback with the host-verified user and lists it newest first, the markup in a message kept as text', async () => {
    const { host, clock } = await setup()
    const xss = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'
    expect(await host.portalRpc('submit', { rating: 5, message: 'Great service' }, alice)).toEqual({ result: { id: expect.any(String), at: '2026-03-04T05:06:07.000Z' } })
    clock.now += 1000
    await host.portalRpc('submit', { rating: 2, message: xss }, bob)
    const listed = await host.uiRpc('list')
    expect(listed).toEqual({
      result: {
        items: [
          { id: expect.any(String), at: '2026-03-04T05:06:08.000Z', rating: 2, message: xss, user: { id: 'u-bob', email: 'bob@example.com', name: 'Bob' } },
          { id: expect.any(String), at: '2026-03-04T05:06:07.000Z', rating: 5, message: 'Great service', user: { id: 'u-alice', email: 'alice@example.com', name: 'Alice' } },
        ],
      },
    })
    expect(await host.uiRpc('list', { limit: 1 })).toMatchObject({ result: { items: [{ rating: 2 }] } })
  })

  it('refuses invalid feedback and stores nothing', async () => {
    const { host } = await setup()
    expect(await host.portalRpc('submit', { rating: 9, message: 'x' }, alice)).toEqual({ error: { code: 'FEEDBACK_INVALID', message: expect.stringContaining('rating') } })
    expect(await host.uiRpc('list')).toEqual({ result: { items: [] } })
  })

  it(`accepts ${DAILY_LIMIT_PER_USER} pieces a day from one user, then FEEDBACK_LIMIT_REACHED until the next day`, async () => {
    const { host, clock } = await setup()
    for (let i = 0; i < DAILY_LIMIT_PER_USER; i++) expect(await host.portalRpc('submit', { rating: 3, message: `n${i}` }, alice)).toHaveProperty('result')
    expect(await host.portalRpc('submit', { rating: 3, message: 'one more' }, alice)).toEqual({ error: { code: 'FEEDBACK_LIMIT_REACHED', message: expect.stringContaining('tomorrow') } })
    expect(await host.portalRpc('submit', { rating: 3, message: 'another user' }, bob)).toHaveProperty('result')
    clock.now += 24 * 60 * 60_000
    expect(await host.portalRpc('submit', { rating: 3, message: 'next day' }, alice)).toHaveProperty('result')
  })

  it('refuses a call without a user, and methods it does not have on either RPC', async () => {
    const { host } = await setup()
    expect(await host.portalRpc('submit', { rating: 3, message: 'x' })).toMatchObject({ error: { code: 'FEEDBACK_USER_MISSING' } })
    expect(await host.portalRpc('list', null, alice)).toMatchObject({ error: { code: 'RPC_METHOD_UNKNOWN' } })
    expect(await host.uiRpc('submit', { rating: 3, message: 'x' })).toMatchObject({ error: { code: 'RPC_METHOD_UNKNOWN' } })
  })

  it('serves its components and the UI SDK as JavaScript, and nothing else', async () => {
    const { host } = await setup()
    const page = await host.asset('feedback.js')
    expect(page).toMatchObject({ status: 200, contentType: 'text/javascript' })
    expect(page.body.toString()).toBe(readFileSync(new URL('../ui/feedback.js', import.meta.url), 'utf8'))
    expect(page.body.toString()).not.toMatch(/innerHTML|insertAdjacentHTML|document\.write/)
    expect((await host.asset('ui-sdk.js')).body.toString()).toContain('export function createRpc')
    expect((await host.asset('../package.json')).status).toBe(404)
  })
})
