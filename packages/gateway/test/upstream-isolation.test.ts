import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { completionJson, DEMO_KEY, fakeUpstream, post, startGateway } from './helpers.js'

type Upstream = Awaited<ReturnType<typeof fakeUpstream>>

const TIMEOUT_MS = 3000
/** More than the 256 connections one shared pool had for every LLM on a host. */
const HUNG_REQUESTS = 300

const completion = completionJson('healthy')

let gateway: Gateway
let url: string
let logs: Array<Record<string, unknown>>
let upstream: Upstream

beforeAll(async () => {
  // One host serves both models: `hung` never answers, `healthy` at once.
  upstream = await fakeUpstream((_req, res, body) => {
    if ((JSON.parse(body) as { model: string }).model === 'healthy') res.writeHead(200, { 'content-type': 'application/json' }).end(completion)
  })
  ;({ gateway, url, logs } = await startGateway({
    server: { upstreamTimeoutMs: TIMEOUT_MS, upstreamMaxConnections: 16 },
    llms: `
  - slug: hung
    vendor: openai
    baseUrl: ${upstream.url}
    apiKey: sk-upstream
    models: [hung]
  - slug: healthy
    vendor: openai
    baseUrl: ${upstream.url}
    apiKey: sk-upstream
    models: [healthy]`,
  }))
})
afterAll(async () => {
  await gateway.close()
  await upstream.close()
})

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] })

describe('one hung upstream LLM', () => {
  it('does not starve another LLM on the same host, and requests queued for it time out within upstreamTimeoutMs', async () => {
    const hung = Array.from({ length: HUNG_REQUESTS }, () => post(`${url}/v1/chat/completions`, chat('hung')))
    // Wait until the hung LLM's connections are all taken (no more requests reach it) and the rest queue behind them.
    for (let seen = -1; seen !== upstream.requests.length; ) {
      seen = upstream.requests.length
      await new Promise((resolve) => setTimeout(resolve, 300))
    }

    const started = performance.now()
    const healthy = await post(`${url}/v1/chat/completions`, chat('healthy'))
    expect(healthy.status).toBe(200)
    // Well under the timeout the hung requests wait for (generous for a loaded machine).
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 2)
    // The hung LLM holds no more connections than its own pool's.
    expect(upstream.requests.filter((request) => JSON.parse(request.body).model === 'hung')).toHaveLength(16)

    // A client that leaves while its request waits for a connection is let go at once, not when one frees up.
    const leaving = new AbortController()
    const left = fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}`, 'x-request-id': 'leaves-early' },
      body: JSON.stringify(chat('hung')),
      signal: leaving.signal,
    }).catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 100))
    leaving.abort()
    await left
    const leftLine = () => logs.find((line) => line.msg === 'request completed' && line.requestId === 'leaves-early')
    for (let i = 0; i < 100 && !leftLine(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(leftLine()).toMatchObject({ aborted: true, status: 499 })
    expect(leftLine()!.ms).toBeLessThan(TIMEOUT_MS / 2)

    for (const answer of await Promise.all(hung)) expect(answer).toMatchObject({ status: 504, json: { error: { code: 'UPSTREAM_TIMEOUT' } } })
    // Queued ones too, as the gateway timed them: waiting for a connection counts against the timeout
    // (before, a queued request waited for a connection, then a whole timeout more).
    const times = logs.filter((line) => line.msg === 'request completed' && line.llm === 'hung').map((line) => line.ms as number)
    expect(times).toHaveLength(HUNG_REQUESTS + 1)
    expect(Math.max(...times)).toBeLessThan(TIMEOUT_MS * 1.5)
  })
})
