import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { DEMO_KEY, fixtureSource, pluginOutput, post, startGateway } from './helpers.js'

const output = pluginOutput('pb-gw-')
const outFile = output.file
const gateways: Record<'fail-open' | 'fail-closed', Gateway> = {} as never

function pluginYaml(policy: string) {
  return `
plugins:
  - name: hooks
    source: ${fixtureSource('hooks-plugin.mjs')}
    failurePolicy: ${policy}
    deadlineMs: 300
    restart: { maxCrashes: 100, initialDelayMs: 20 }
    breaker: { failureThreshold: 1000 }
    allowWrite: ${output.allowWrite}
    config: { outFile: ${outFile} }
collector: { batchSize: 1, flushIntervalMs: 10 }
`
}

beforeAll(async () => {
  const [open, closed] = await Promise.all([startGateway({ yaml: pluginYaml('fail-open') }), startGateway({ yaml: pluginYaml('fail-closed') })])
  gateways['fail-open'] = open.gateway
  gateways['fail-closed'] = closed.gateway
})
afterAll(() => Promise.all(Object.values(gateways).map((g) => g.close())))

const chat = (stream = false) => ({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hello' }], stream })
const events = () => readFileSync(outFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))

/** Waits until the fixture answers again after a crash (the supervisor restarts it). */
async function pluginBack(gateway: Gateway) {
  for (let i = 0; i < 100; i++) {
    const response = await post(`${gateway.url}/v1/chat/completions`, chat())
    if (response.headers.get('x-hooked') === 'headers') return
    await sleep(50)
  }
  throw new Error('plugin did not come back')
}

describe('every hook runs on a request', () => {
  it('modifies headers and body, and rewrites each streamed chunk', async () => {
    const { url } = gateways['fail-closed']
    const json = await post(`${url}/v1/chat/completions`, chat())
    expect(json.status).toBe(200)
    expect(json.headers.get('x-hooked')).toBe('headers')
    expect(json.json.hooked).toBe('body')
    const stream = await post(`${url}/v1/chat/completions`, chat(true))
    expect(stream.text).toContain('MOCK REPLY')
    expect(stream.text).not.toContain('Mock reply')
  })

  it('lets an auth plugin authenticate a credential the built-in keys do not know', async () => {
    const response = await post(`${gateways['fail-closed'].url}/v1/chat/completions`, chat(), { authorization: 'Bearer plugin-token' })
    expect(response.status).toBe(200)
    const models = await fetch(`${gateways['fail-closed'].url}/v1/models`, { headers: { authorization: 'Bearer plugin-token' } })
    expect(models.status).toBe(200)
  })

  it('reports stream completion and analytics off the request path, including a client that went away mid-stream', async () => {
    const { url } = gateways['fail-open']
    const requestId = `disconnect-${Date.now()}`
    const controller = new AbortController()
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}`, 'x-request-id': requestId },
      body: JSON.stringify(chat(true)),
      signal: controller.signal,
    })
    await response.body!.getReader().read()
    controller.abort()
    for (let i = 0; i < 100 && !events().some((e) => e.requestId === requestId && e.type === 'analytics'); i++) await sleep(20)
    const mine = events().filter((e) => e.requestId === requestId)
    expect(mine).toContainEqual(expect.objectContaining({ type: 'analytics', appId: 'demo', llm: 'mock', streaming: true }))
    expect(mine).toContainEqual(expect.objectContaining({ type: 'stream_complete' }))
  })

  it('tells the chunk hook, once, that a stream broke off when its client left mid-way', async () => {
    const requestId = `left-${Date.now()}`
    const controller = new AbortController()
    const response = await fetch(`${gateways['fail-open'].url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}`, 'x-request-id': requestId },
      body: JSON.stringify({ model: 'mock-slow', messages: [{ role: 'user', content: 'long story' }], stream: true }),
      signal: controller.signal,
    })
    await response.body!.getReader().read()
    controller.abort()
    for (let i = 0; i < 100 && !events().some((e) => e.requestId === requestId && e.type === 'chunk_end'); i++) await sleep(20)
    await sleep(100)
    expect(events().filter((e) => e.requestId === requestId && e.type === 'chunk_end')).toEqual([{ type: 'chunk_end', requestId, aborted: true }])
  })

  it('tells the chunk hook a completed stream ended normally', async () => {
    const requestId = `complete-${Date.now()}`
    const response = await post(`${gateways['fail-open'].url}/v1/chat/completions`, chat(true), { 'x-request-id': requestId })
    expect(response.text).toContain('[DONE]')
    for (let i = 0; i < 50 && !events().some((e) => e.requestId === requestId && e.type === 'chunk_end'); i++) await sleep(20)
    expect(events().filter((e) => e.requestId === requestId && e.type === 'chunk_end')).toEqual([{ type: 'chunk_end', requestId, aborted: false }])
  })

  it('survives a client that disconnects while chunk hooks are in flight', async () => {
    for (const gateway of Object.values(gateways)) {
      const controller = new AbortController()
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}`, 'x-fault': 'response_chunk:slow' },
        body: JSON.stringify({ model: 'mock-slow', messages: [{ role: 'user', content: 'long story' }], stream: true }),
        signal: controller.signal,
      })
      const reader = response.body!.getReader()
      await reader.read()
      await reader.read()
      controller.abort()
      await sleep(200)
      expect((await post(`${gateway.url}/v1/chat/completions`, chat(true))).text).toContain('MOCK REPLY')
    }
  })
})

describe('the API the client spoke', () => {
  /** Each route's request, sent with its official client under `requestId`. */
  const requests: Record<string, (url: string, headers: { 'x-request-id': string }) => Promise<unknown>> = {
    'chat.completions': (url, headers) =>
      new OpenAI({ apiKey: DEMO_KEY, baseURL: `${url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hello' }] }, { headers }),
    'anthropic.messages': (url, headers) =>
      new Anthropic({ apiKey: DEMO_KEY, baseURL: url, maxRetries: 0 }).messages.create({ model: 'mock-gpt', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] }, { headers }),
    responses: (url, headers) => new OpenAI({ apiKey: DEMO_KEY, baseURL: `${url}/v1`, maxRetries: 0 }).responses.create({ model: 'mock-gpt', input: 'hello' }, { headers }),
    // A route that is none of the LLM APIs.
    '': (url, headers) => new OpenAI({ apiKey: DEMO_KEY, baseURL: `${url}/v1`, maxRetries: 0 }).models.list({ headers }),
  }

  it.each(Object.keys(requests))('is %j in the post-auth context and the analytics record', async (api) => {
    const { url } = gateways['fail-closed']
    const requestId = `api-${api || 'none'}-${Date.now()}`
    await requests[api]!(url, { 'x-request-id': requestId })
    const mine = () => events().filter((e) => e.requestId === requestId && (e.type === 'post_auth' || e.type === 'analytics'))
    for (let i = 0; i < 100 && mine().length < 2; i++) await sleep(20)
    expect(mine()).toEqual([
      { type: 'post_auth', requestId, api },
      expect.objectContaining({ type: 'analytics', requestId, api, status: 200 }),
    ])
  })
})

describe('a plugin that blocks', () => {
  it.each(['pre_auth', 'post_auth'])('in %s answers with the plugin status and body, naming the plugin', async (hook) => {
    const response = await post(`${gateways['fail-open'].url}/v1/chat/completions`, chat(), { 'x-fault': `${hook}:block` })
    expect(response.status).toBe(451)
    expect(response.json.error.code).toBe('FIXTURE_BLOCK')
    expect(response.headers.get('x-plugboard-blocked-by')).toBe('hooks')
  })

  it('in auth rejects the credential', async () => {
    const response = await post(`${gateways['fail-open'].url}/v1/chat/completions`, chat(), { 'x-fault': 'auth:block' })
    expect(response.status).toBe(401)
    expect(response.json.error.message).toContain('FIXTURE_REJECT')
  })
})

const hooks = ['pre_auth', 'auth', 'post_auth', 'response_headers', 'response_body'] as const

describe.each(['hang', 'crash'] as const)('a plugin that %s', (fault) => {
  it.each(hooks)(`in %s is skipped when fail-open`, async (hook) => {
    const gateway = gateways['fail-open']
    const response = await post(`${gateway.url}/v1/chat/completions`, chat(), { 'x-fault': `${hook}:${fault}` })
    expect(response.status).toBe(200)
    expect(response.json.choices[0].message.content).toMatch(/^Mock reply/)
    if (fault === 'crash') await pluginBack(gateway)
  })

  it.each(hooks)(`in %s fails the request with 502 naming the plugin when fail-closed`, async (hook) => {
    const gateway = gateways['fail-closed']
    const response = await post(`${gateway.url}/v1/chat/completions`, chat(), { 'x-fault': `${hook}:${fault}` })
    expect(response.status).toBe(502)
    expect(response.json.error).toMatchObject({ code: 'PLUGIN_FAILED', message: expect.stringContaining('plugin "hooks" failed') })
    if (fault === 'crash') await pluginBack(gateway)
  })

  it('in the chunk hook: fail-open passes chunks unchanged, fail-closed ends the stream with an error event', async () => {
    const open = await post(`${gateways['fail-open'].url}/v1/chat/completions`, chat(true), { 'x-fault': `response_chunk:${fault}` })
    expect(open.text).toContain('Mock reply')
    expect(open.text).toContain('data: [DONE]')
    if (fault === 'crash') await pluginBack(gateways['fail-open'])
    const closed = await post(`${gateways['fail-closed'].url}/v1/chat/completions`, chat(true), { 'x-fault': `response_chunk:${fault}` })
    expect(closed.status).toBe(200)
    expect(closed.text).toContain('"code":"PLUGIN_FAILED"')
    if (fault === 'crash') await pluginBack(gateways['fail-closed'])
  })
})
