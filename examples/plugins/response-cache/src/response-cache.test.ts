import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { ResponseCache } from './response-cache.js'

const chat = (extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ model: 'mock-gpt', temperature: 0, messages: [{ role: 'user', content: 'Capital of France?' }], ...extra }))
const completion = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris' }, finish_reason: 'stop' }] })
const sse = 'data: {"choices":[{"index":0,"delta":{"content":"Paris"}}]}\n\ndata: [DONE]\n\n'

async function setup(config: unknown = null, scopes: Array<'kv.readwrite'> = ['kv.readwrite']) {
  const host = await createTestHost(new ResponseCache(), { config: config as never, scopes })
  /** One request through the plugin: post-auth, then (on a miss) stream-complete with the upstream's answer. */
  const roundTrip = async (body: Buffer, answer: { body: string; status?: number; aborted?: boolean }, context: { streaming?: boolean; llm?: string } = {}) => {
    const result = await host.postAuth({ request: { body }, context })
    if (result.action === 'modify') {
      // streamComplete takes a whole context (postAuth fills in a partial one) and the body as bytes.
      const full = { requestId: 'test-request', llm: 'mock', model: 'mock-gpt', streaming: false, api: 'chat.completions', ...context, metadata: result.metadata }
      await host.streamComplete({ ...answer, body: Buffer.from(answer.body), context: full })
    }
    return result
  }
  return { host, roundTrip }
}

describe('ResponseCache (in-process)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('passes a miss on with its cache key, stores the 200 answer, and replays it for an identical request', async () => {
    const { host, roundTrip } = await setup()
    const miss = await roundTrip(chat(), { body: completion })
    expect(miss).toEqual({ action: 'modify', setHeaders: {}, removeHeaders: [], body: undefined, metadata: { cacheKey: expect.stringMatching(/^[0-9a-f]{64}$/) } })
    const key = miss.action === 'modify' ? miss.metadata.cacheKey : ''
    expect(JSON.parse((await host.kv.get(`cache/${key}`))!.toString())).toMatchObject({ contentType: 'application/json', body: completion })

    const hit = await host.postAuth({ request: { body: chat({ user: 'someone-else' }) } })
    expect(hit).toMatchObject({ action: 'block', status: 200, headers: { 'content-type': 'application/json', 'x-plugboard-cache': 'hit', age: '0' } })
    expect(hit.action === 'block' && hit.body.toString()).toBe(completion)
  })

  it('caches streamed answers apart from whole ones and replays them as an event stream', async () => {
    const { host, roundTrip } = await setup()
    await roundTrip(chat({ stream: true }), { body: sse }, { streaming: true })
    expect(await host.postAuth({ request: { body: chat() } })).toMatchObject({ action: 'modify' })
    for (const request of [{ body: chat({ stream: true }) }, { body: chat() }]) {
      const hit = await host.postAuth({ request, context: { streaming: true } })
      expect(hit).toMatchObject({ action: 'block', status: 200, headers: { 'content-type': 'text/event-stream', 'x-plugboard-cache': 'hit' } })
      expect(hit.action === 'block' && hit.body.toString()).toBe(sse)
    }
  })

  it('keeps entries for ttlSeconds, reporting their age', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { host, roundTrip } = await setup({ ttlSeconds: 60 })
    await roundTrip(chat(), { body: completion })
    vi.setSystemTime(Date.now() + 59_000)
    expect(await host.postAuth({ request: { body: chat() } })).toMatchObject({ action: 'block', headers: { age: '59' } })
    vi.setSystemTime(Date.now() + 2_000)
    expect(await host.postAuth({ request: { body: chat() } })).toMatchObject({ action: 'modify' })
  })

  it.each([
    ['an error status', { body: completion, status: 500 }],
    ['an aborted stream', { body: sse, aborted: true }],
    ['a stream that did not reach [DONE]', { body: 'data: {"choices":[]}\n\n' }],
    ['a truncated JSON body', { body: completion.slice(0, 20) }],
  ])('does not store %s', async (_, answer) => {
    const { host, roundTrip } = await setup()
    await roundTrip(chat(), answer)
    expect(await host.postAuth({ request: { body: chat() } })).toMatchObject({ action: 'modify' })
  })

  it('does not store responses larger than maxBodyBytes', async () => {
    const { host, roundTrip } = await setup({ maxBodyBytes: 10 })
    await roundTrip(chat(), { body: completion })
    expect(await host.postAuth({ request: { body: chat() } })).toMatchObject({ action: 'modify' })
  })

  it('does not store anything for stream completions without a cache key', async () => {
    const { host } = await setup()
    await host.streamComplete({ body: Buffer.from(completion) })
    expect(await host.context.services.kv.list('cache/')).toEqual([])
  })

  it('keeps different LLMs apart', async () => {
    const { host, roundTrip } = await setup()
    await roundTrip(chat(), { body: completion }, { llm: 'openai' })
    expect(await host.postAuth({ request: { body: chat() }, context: { llm: 'mock' } })).toMatchObject({ action: 'modify' })
    expect(await host.postAuth({ request: { body: chat() }, context: { llm: 'openai' } })).toMatchObject({ action: 'block' })
  })

  it('with onlyDeterministic, leaves requests without temperature 0 uncached', async () => {
    const { host, roundTrip } = await setup({ onlyDeterministic: true })
    expect(await roundTrip(chat({ temperature: 0.7 }), { body: completion })).toEqual({ action: 'pass' })
    expect(await roundTrip(chat({ temperature: undefined }), { body: completion })).toEqual({ action: 'pass' })
    await roundTrip(chat(), { body: completion })
    expect(await host.postAuth({ request: { body: chat() } })).toMatchObject({ action: 'block' })
  })

  it('passes requests whose body is not a JSON object', async () => {
    const { host } = await setup()
    expect(await host.postAuth({ request: { method: 'GET', path: '/v1/models' } })).toEqual({ action: 'pass' })
    expect(await host.postAuth({ request: { body: Buffer.from('[1,2]') } })).toEqual({ action: 'pass' })
  })

  it('fails the hook with SCOPE_DENIED without the kv.readwrite grant', async () => {
    const { host } = await setup(null, [])
    await expect(host.postAuth({ request: { body: chat() } })).rejects.toMatchObject({ code: 'SCOPE_DENIED' })
  })

  it.each([[[]], [{ ttlSeconds: 0 }], [{ ttlSeconds: '300' }], [{ onlyDeterministic: 'yes' }], [{ maxBodyBytes: -1 }]])('refuses config %j with CONFIG_INVALID', async (config) => {
    await expect(setup(config)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
