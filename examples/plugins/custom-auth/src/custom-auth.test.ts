import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { CustomAuth } from './custom-auth.js'

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex')
const TOKEN = 'cat_live_4f3c2a'
const config = {
  prefix: 'cat_',
  tokens: {
    [sha256(TOKEN)]: {
      app: { id: 'app-1', name: 'Support bot', allowedLlms: ['mock'], monthlyBudget: 50 },
      user: { id: 'u-1', email: 'ada@example.com' },
    },
    [sha256('cat_service')]: { app: { id: 'app-2' } },
  },
}

const host = async (overrides: Record<string, unknown> = {}) => {
  const plugin = new CustomAuth()
  return { plugin, host: await createTestHost(plugin, { config: { ...config, ...overrides } as never }) }
}

describe('CustomAuth (in-process)', () => {
  it('authenticates a configured token as its app and user, filling in defaults', async () => {
    const { host: auth } = await host()
    expect(await auth.authenticate({ credential: TOKEN })).toEqual({
      action: 'authenticate',
      app: { id: 'app-1', name: 'Support bot', allowedLlms: ['mock'], monthlyBudget: 50, metadata: {} },
      user: { id: 'u-1', email: 'ada@example.com', name: '', roles: [] },
    })
    expect(await auth.authenticate({ credential: 'cat_service' })).toEqual({
      action: 'authenticate',
      app: { id: 'app-2', name: 'app-2', allowedLlms: [], monthlyBudget: 0, metadata: {} },
      user: undefined,
    })
  })

  it('rejects an unknown token with its prefix with 401 INVALID_TOKEN, never logging the token', async () => {
    const { host: auth } = await host()
    expect(await auth.authenticate({ credential: 'cat_guessed' })).toEqual({
      action: 'reject',
      status: 401,
      code: 'INVALID_TOKEN',
      message: 'the bearer token is not valid; check it or ask for a new one',
    })
    expect(JSON.stringify(auth.logs)).not.toContain('cat_guessed')
  })

  it.each([['another scheme', 'sk-live-123'], ['no', '']])('passes %s credential on to the next authenticator', async (_, credential) => {
    const { host: auth } = await host()
    expect(await auth.authenticate({ credential })).toEqual({ action: 'pass' })
  })

  it('passes every unknown token when no prefix is configured', async () => {
    const { host: auth } = await host({ prefix: undefined })
    expect(await auth.authenticate({ credential: 'cat_guessed' })).toEqual({ action: 'pass' })
  })

  it('accepts upper-case hex digests', async () => {
    const { host: auth } = await host({ tokens: { [sha256('t').toUpperCase()]: { app: { id: 'x' } } } })
    expect(await auth.authenticate({ credential: 't' })).toMatchObject({ action: 'authenticate', app: { id: 'x' } })
  })

  it('looks up the app, and the app and user, of a credential', async () => {
    const { host: auth } = await host()
    expect(await auth.getAppByCredential(TOKEN)).toEqual({ action: 'authenticate', app: expect.objectContaining({ id: 'app-1' }), user: undefined })
    expect(await auth.getAppByCredential('cat_guessed')).toEqual({ action: 'pass' })
    expect(await auth.getUserByCredential(TOKEN)).toMatchObject({ action: 'authenticate', user: { id: 'u-1' } })
    expect(await auth.getUserByCredential('nope')).toEqual({ action: 'pass' })
  })

  it.each([
    [null],
    [{}],
    [{ tokens: [] }],
    [{ tokens: { 'cat_live_4f3c2a': { app: { id: 'a' } } } }],
    [{ tokens: { [sha256('t')]: {} } }],
    [{ tokens: { [sha256('t')]: { app: { id: '' } } } }],
    [{ tokens: { [sha256('t')]: { app: { id: 'a' }, user: { email: 'x' } } } }],
    [{ tokens: {}, prefix: 5 }],
  ])('refuses config %j with CONFIG_INVALID', async (bad) => {
    await expect(createTestHost(new CustomAuth(), { config: bad as never })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
