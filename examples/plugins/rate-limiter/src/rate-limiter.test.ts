import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { RateLimiter } from './rate-limiter.js'

const app = { id: 'app-1', name: 'demo', allowedLlms: ['mock'], monthlyBudget: 0, metadata: {} }

async function setup(config: unknown, scopes: Array<'kv.readwrite'> = ['kv.readwrite']) {
  const clock = { now: 1_700_000_000_000 }
  const host = await createTestHost(new RateLimiter(() => clock.now), { config: config as never, scopes })
  const request = (context: { app?: typeof app } = { app }) => host.postAuth({ context })
  return { host, clock, request }
}

const chunk = (body: unknown) => `data: ${JSON.stringify(body)}\n\n`
const delta = (content: string) => chunk({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })

describe('RateLimiter (in-process)', () => {
  it('lets an app make requestsPerMinute requests, then blocks with 429, retry-after and an OpenAI-shaped error', async () => {
    const { host, request } = await setup({ requestsPerMinute: 3 })
    for (let i = 0; i < 3; i++) expect(await request()).toEqual({ action: 'pass' })
    const blocked = await request()
    expect(blocked).toMatchObject({ action: 'block', status: 429, headers: { 'retry-after': '20', 'content-type': 'application/json' } })
    expect(blocked.action === 'block' && blocked.json()).toEqual({
      error: { message: 'app "demo" exceeded its limit of 3 requests per minute; retry in 20 s', type: 'rate_limit_error', code: 'RATE_LIMITED' },
    })
    expect(host.logs).toContainEqual(expect.objectContaining({ message: 'request rate-limited', fields: expect.objectContaining({ appId: 'app-1', short: 'requests' }) }))
  })

  it('refills the bucket as time passes', async () => {
    const { clock, request } = await setup({ requestsPerMinute: 60 })
    for (let i = 0; i < 60; i++) await request()
    expect(await request()).toMatchObject({ action: 'block', headers: { 'retry-after': '1' } })
    clock.now += 1000
    expect(await request()).toEqual({ action: 'pass' })
    expect(await request()).toMatchObject({ action: 'block' })
  })

  it('keeps one bucket per app, in the KV store, and lets requests without an app through', async () => {
    const { host, request } = await setup({ requestsPerMinute: 1 })
    await request()
    expect(await request()).toMatchObject({ action: 'block' })
    expect(await request({ app: { ...app, id: 'app-2' } })).toEqual({ action: 'pass' })
    expect(await request({})).toEqual({ action: 'pass' })
    expect(JSON.parse((await host.kv.get('bucket/app-1'))!.toString())).toEqual({ requests: 0, tokens: 0, updatedAt: 1_700_000_000_000 })
  })

  it('debits usage.total_tokens of JSON completions and blocks while the token bucket is empty', async () => {
    const { host, clock, request } = await setup({ requestsPerMinute: 100, tokensPerMinute: 1000 })
    await request()
    await host.responseBody({ body: JSON.stringify({ choices: [], usage: { prompt_tokens: 900, completion_tokens: 400, total_tokens: 1300 } }), context: { app } })
    const blocked = await request()
    // 300 tokens in debt at 1000 a minute: 301 tokens take 18.06 s.
    expect(blocked).toMatchObject({ action: 'block', status: 429, headers: { 'retry-after': '19' } })
    expect(blocked.action === 'block' && (blocked.json() as { error: { message: string } }).error.message).toContain('1000 tokens per minute')
    clock.now += 19_000
    expect(await request()).toEqual({ action: 'pass' })
  })

  it('debits a stream once at its end, with the usage its last chunk reports', async () => {
    const { host, request } = await setup({ requestsPerMinute: 100, tokensPerMinute: 1000 })
    const usage = chunk({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 990, total_tokens: 1000 } })
    const sent = await host.responseStream([delta('Hello'), delta(' world'), usage, 'data: [DONE]\n\n'], { context: { app } })
    expect(sent.map(String)).toEqual([delta('Hello'), delta(' world'), usage, 'data: [DONE]\n\n'])
    expect(JSON.parse((await host.kv.get('bucket/app-1'))!.toString())).toMatchObject({ tokens: 0 })
    expect(await request()).toMatchObject({ action: 'block' })
  })

  it('debits a stream that broke off with what it streamed until then', async () => {
    const { host } = await setup({ requestsPerMinute: 100, tokensPerMinute: 1000 })
    await host.responseStream([delta('x'.repeat(40))], { context: { app }, aborted: true })
    expect(JSON.parse((await host.kv.get('bucket/app-1'))!.toString())).toMatchObject({ tokens: 990 })
  })

  it('estimates a stream without usage at four characters a token', async () => {
    const { host } = await setup({ requestsPerMinute: 100, tokensPerMinute: 1000 })
    await host.responseStream([delta('x'.repeat(30)), delta('y'.repeat(10)), 'data: [DONE]\n\n'], { context: { app } })
    expect(JSON.parse((await host.kv.get('bucket/app-1'))!.toString())).toMatchObject({ tokens: 990 })
  })

  it('keeps concurrent streams of one app apart', async () => {
    const { host } = await setup({ requestsPerMinute: 100, tokensPerMinute: 1000 })
    await Promise.all([
      host.responseStream([delta('x'.repeat(40))], { context: { app, requestId: 'a' } }),
      host.responseStream([delta('y'.repeat(80))], { context: { app, requestId: 'b' } }),
    ])
    expect(JSON.parse((await host.kv.get('bucket/app-1'))!.toString())).toMatchObject({ tokens: 970 })
  })

  it('leaves responses alone when tokens are not limited', async () => {
    const { host } = await setup({ requestsPerMinute: 10 })
    await host.responseBody({ body: JSON.stringify({ usage: { total_tokens: 5 } }), context: { app } })
    await host.responseStream([delta('hello')], { context: { app } })
    expect(await host.kv.get('bucket/app-1')).toBeUndefined()
  })

  it('fails the hook with SCOPE_DENIED without the kv.readwrite grant', async () => {
    const { request } = await setup({ requestsPerMinute: 10 }, [])
    await expect(request()).rejects.toMatchObject({ code: 'SCOPE_DENIED' })
  })

  it.each([[null], [{}], [{ requestsPerMinute: 0 }], [{ requestsPerMinute: '60' }], [{ requestsPerMinute: 60, tokensPerMinute: -1 }]])(
    'refuses config %j with CONFIG_INVALID',
    async (config) => {
      await expect(setup(config)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    },
  )
})
