import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway, RequestRecord } from '@plugboard/gateway'
import { DEMO_KEY, fakeUpstream, LIMITED_KEY, post, startGateway } from './helpers.js'
import { eventually } from './plugin-processes.js'

describe('request log', () => {
  let gateway: Gateway
  const records: RequestRecord[] = []
  let throwing = false
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>
  beforeAll(async () => {
    upstream = await fakeUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'resp-1', object: 'response', model: 'up-model', usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10 } }))
    })
    ;({ gateway } = await startGateway({
      llms: `
  - slug: up
    vendor: openai
    baseUrl: ${upstream.url}/v1
    apiKey: sk-vendor
    models: [up-model]`,
      requestLog: (record) => {
        if (throwing) throw new Error('sink broke')
        records.push(record)
      },
    }))
  })
  afterAll(async () => {
    await gateway?.close()
    await upstream?.close()
  })

  /** The records of one request (by its x-request-id), once it has one. */
  async function recordsOf(requestId: string): Promise<RequestRecord[]> {
    await eventually(() => records.some((r) => r.requestId === requestId), 5000)
    return records.filter((r) => r.requestId === requestId)
  }

  const chat = (requestId: string, body: Record<string, unknown> = {}, key = DEMO_KEY) =>
    post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hello there' }], ...body }, { authorization: `Bearer ${key}`, 'x-request-id': requestId })

  it('records a normal call once, with its usage, cost and latency', async () => {
    const before = Date.now()
    const response = await chat('rl-normal')
    expect(response.status).toBe(200)
    const [record, ...more] = await recordsOf('rl-normal')
    expect(more).toEqual([])
    expect(record).toMatchObject({
      requestId: 'rl-normal',
      api: 'chat.completions',
      appId: 'demo',
      userId: null,
      llm: 'mock',
      model: 'mock-gpt',
      status: 200,
      errorCode: null,
      promptTokens: response.json.usage.prompt_tokens,
      completionTokens: 12,
      streamed: false,
      aborted: false,
    })
    expect(record!.cost).toBeCloseTo((response.json.usage.prompt_tokens * 1 + 12 * 2) / 1_000_000, 12)
    expect(record!.at).toBeGreaterThanOrEqual(before)
    expect(record!.at).toBeLessThanOrEqual(Date.now())
    expect(record!.latencyMs).toBeGreaterThan(0)
  })

  it('records a streamed call as streamed, with the tokens it streamed', async () => {
    const response = await chat('rl-stream', { stream: true })
    expect(response.status).toBe(200)
    const [record, ...more] = await recordsOf('rl-stream')
    expect(more).toEqual([])
    expect(record).toMatchObject({ status: 200, streamed: true, aborted: false, errorCode: null })
    // Without stream_options.include_usage the mock reports no usage: the gateway counts the streamed text.
    expect(record!.completionTokens).toBeGreaterThan(0)
    expect(record!.cost).toBeGreaterThan(0)
  })

  it('records a client that leaves mid-stream as aborted', async () => {
    const controller = new AbortController()
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}`, 'x-request-id': 'rl-aborted' },
      body: JSON.stringify({ model: 'mock-slow', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      signal: controller.signal,
    })
    await response.body!.getReader().read()
    controller.abort()
    const [record, ...more] = await recordsOf('rl-aborted')
    expect(more).toEqual([])
    expect(record).toMatchObject({ llm: 'slow', model: 'mock-slow', streamed: true, aborted: true, status: 200 })
    // The slow mock streams 40 tokens over 20 chunks: the record counts what got out before the client left.
    expect(record!.completionTokens).toBeLessThan(40)
  })

  it('records requests refused before the LLM: a bad key (401) and a spent budget (429)', async () => {
    const refused = await chat('rl-401', {}, 'pb-unknown-key-0000000')
    expect(refused.status).toBe(401)
    expect(await recordsOf('rl-401')).toEqual([
      expect.objectContaining({ status: 401, errorCode: refused.json.error.code, appId: null, llm: null, promptTokens: 0, completionTokens: 0, cost: 0, aborted: false }),
    ])
    expect(refused.json.error.code).toBe('INVALID_API_KEY')

    expect((await chat('rl-budget-1', {}, LIMITED_KEY)).status).toBe(200)
    const spent = await chat('rl-budget-2', {}, LIMITED_KEY)
    expect(spent.status).toBe(429)
    expect(await recordsOf('rl-budget-2')).toEqual([expect.objectContaining({ status: 429, errorCode: 'BUDGET_EXCEEDED', appId: 'limited', llm: 'mock', cost: 0 })])
  })

  it('records embeddings under their api', async () => {
    const response = await post(`${gateway.url}/v1/embeddings`, { model: 'mock-gpt', input: 'hello' }, { 'x-request-id': 'rl-embed' })
    expect(response.status).toBe(200)
    expect(await recordsOf('rl-embed')).toEqual([expect.objectContaining({ api: 'embeddings', status: 200, streamed: false })])
  })

  it('records a pass-through request under its api, with the usage its answer reports', async () => {
    const response = await post(`${gateway.url}/llm/up/v1/responses`, { model: 'up-model', input: 'hello' }, { 'x-request-id': 'rl-raw' })
    expect(response.status).toBe(200)
    expect(await recordsOf('rl-raw')).toEqual([expect.objectContaining({ api: 'passthrough', llm: 'up', model: 'up-model', status: 200, promptTokens: 7, completionTokens: 3 })])
  })

  it('does not record listing models', async () => {
    const response = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${DEMO_KEY}`, 'x-request-id': 'rl-models' } })
    expect(response.status).toBe(200)
    expect((await chat('rl-after-models')).status).toBe(200)
    await recordsOf('rl-after-models')
    expect(records.filter((r) => r.requestId === 'rl-models')).toEqual([])
  })

  it('catches and counts a callback that throws; the request is not affected', async () => {
    throwing = true
    try {
      expect((await chat('rl-throws')).status).toBe(200)
      expect(await eventually(async () => /plugboard_request_log_failures_total 1\b/.test(await (await fetch(`${gateway.url}/metrics`)).text()), 5000)).toBe(true)
    } finally {
      throwing = false
    }
    expect((await chat('rl-after-throw')).status).toBe(200)
    expect(await recordsOf('rl-after-throw')).toHaveLength(1)
  })
})
