import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex')
const request = { method: 'POST', path: '/v1/chat/completions', query: '', headers: {}, body: Buffer.alloc(0), clientIp: '127.0.0.1' }

describe('custom-auth as a plugin process', () => {
  let host: PluginHost
  let plugin: ManagedPlugin
  beforeAll(async () => {
    host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'silent' }) })
    plugin = await host.load({
      name: 'custom-auth',
      source: `file://${packageDir}`,
      config: { prefix: 'cat_', tokens: { [sha256('cat_ok')]: { app: { id: 'app-1', name: 'demo' }, user: { id: 'u-1', email: 'ada@example.com' } } } },
    })
  })
  afterAll(() => host.shutdown())

  it('authenticates, rejects or passes through an auth chain', async () => {
    const chain = new HookChain([{ plugin, failurePolicy: 'fail-closed' }])
    const auth = (credential: string) => chain.runAuth({ requestId: 'r1', request, credential })
    expect(await auth('cat_ok')).toMatchObject({ kind: 'authenticated', plugin: 'custom-auth', app: { id: 'app-1', name: 'demo' }, user: { email: 'ada@example.com' } })
    expect(await auth('cat_bad')).toEqual({ kind: 'rejected', plugin: 'custom-auth', status: 401, code: 'INVALID_TOKEN', message: expect.any(String) })
    expect(await auth('sk-other')).toEqual({ kind: 'unhandled' })
  })

  it('answers app and user lookups by credential', async () => {
    const app = await plugin.callHook('appByCredential', { credential: 'cat_ok' }, { deadlineMs: 2000 })
    expect(app.result).toMatchObject({ $case: 'authenticated', value: { app: { id: 'app-1' } } })
    const user = await plugin.callHook('userByCredential', { credential: 'cat_ok' }, { deadlineMs: 2000 })
    expect(user.result).toMatchObject({ $case: 'authenticated', value: { user: { id: 'u-1' } } })
    expect((await plugin.callHook('userByCredential', { credential: 'cat_bad' }, { deadlineMs: 2000 })).result).toMatchObject({ $case: 'pass' })
  })
})
