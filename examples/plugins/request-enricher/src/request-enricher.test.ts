import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { RequestEnricher } from './request-enricher.js'

const app = { id: 'app-1', name: 'demo', allowedLlms: ['mock'], monthlyBudget: 10, metadata: {} }
const user = { id: 'u-1', email: 'ada@example.com', name: 'Ada', roles: [] }

describe('RequestEnricher (in-process)', () => {
  it('adds app, user, model and request id headers and the same facts as metadata', async () => {
    const host = await createTestHost(new RequestEnricher(), { config: { headers: { 'x-team': 'ml' } } })
    const result = await host.postAuth({ context: { requestId: 'req-9', app, user, model: 'mock-gpt' } })
    expect(result).toEqual({
      action: 'modify',
      setHeaders: {
        'x-team': 'ml',
        'x-plugboard-app': 'demo',
        'x-plugboard-app-id': 'app-1',
        'x-plugboard-user': 'ada@example.com',
        'x-plugboard-model': 'mock-gpt',
        'x-plugboard-request-id': 'req-9',
      },
      removeHeaders: ['x-plugboard-app-requests'],
      body: undefined,
      metadata: expect.objectContaining({ enrichedBy: 'request-enricher', 'x-plugboard-app': 'demo' }),
    })
  })

  it('leaves out facts the request does not have', async () => {
    const host = await createTestHost(new RequestEnricher())
    const result = await host.postAuth({ context: { requestId: 'r' } })
    expect(result.action === 'modify' && Object.keys(result.setHeaders)).toEqual(['x-plugboard-model', 'x-plugboard-request-id'])
  })

  it("removes the client's own headers for the facts the request lacks, so none can be forged", async () => {
    const host = await createTestHost(new RequestEnricher())
    const result = await host.postAuth({ context: { requestId: 'r', app }, request: { headers: { 'x-plugboard-user': 'ceo@example.com' } } })
    expect(result.action === 'modify' && result.removeHeaders).toEqual(['x-plugboard-user', 'x-plugboard-app-requests'])
  })

  it('counts requests per app in its KV namespace when granted kv.readwrite', async () => {
    const host = await createTestHost(new RequestEnricher(), { config: { countRequests: true }, scopes: ['kv.readwrite'] })
    await host.postAuth({ context: { app } })
    const second = await host.postAuth({ context: { app } })
    expect(second.action === 'modify' && second.setHeaders['x-plugboard-app-requests']).toBe('2')
    expect((await host.kv.get('requests/app-1'))?.toString()).toBe('2')
  })

  it('fails the hook with SCOPE_DENIED when counting without the kv.readwrite grant', async () => {
    const host = await createTestHost(new RequestEnricher(), { config: { countRequests: true } })
    await expect(host.postAuth({ context: { app } })).rejects.toMatchObject({ code: 'SCOPE_DENIED' })
  })

  it.each([[[]], [{ headers: { 'bad header': 'x' } }], [{ headers: { 'x-n': 5 } }]])('refuses config %j', async (config) => {
    await expect(createTestHost(new RequestEnricher(), { config: config as never })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
