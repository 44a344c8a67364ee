import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBudgetStore, budgetPeriodOf, type Gateway } from '@plugboard/gateway'
import { completionJson, DEMO_KEY, fakeUpstream, fixtureSource, pluginOutput, post, startGateway } from './helpers.js'

// Every client route runs the same policy stages: no route is a way around a policy.

const SPENT_KEY = 'pb-spent-key-00000000'
const output = pluginOutput('pb-gw-pipeline-')
const outFile = output.file
const enricher = new URL('../../../examples/plugins/request-enricher', import.meta.url).href
const completion = completionJson('up')

let gateway: Gateway
let upstream: Awaited<ReturnType<typeof fakeUpstream>>

beforeAll(async () => {
  upstream = await fakeUpstream((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    if (req.url === '/v1/chat/completions') return res.end(completion)
    res.end(JSON.stringify({ id: 'resp-1', object: 'response', usage: { input_tokens: 7, output_tokens: 5, total_tokens: 12 } }))
  })
  const budgets = new MemoryBudgetStore()
  // The app's whole budget already spent this month.
  const spent = await budgets.reserve({ limit: { id: 'app:spent', scope: 'app', target: 'spent', limitUsd: 1, period: { kind: 'monthly' }, thresholds: [] }, period: budgetPeriodOf({ kind: 'monthly' }), amount: 1 })
  if (spent.ok) await budgets.settle(spent.reservation, 1)
  ;({ gateway } = await startGateway({
    budgets,
    llms: `
  - slug: up
    vendor: openai
    baseUrl: ${upstream.url}/v1
    apiKey: sk-upstream
    models: [up]`,
    apps: `
  - id: spent
    keys: [{ value: ${SPENT_KEY} }]
    allowedLlms: ['*']
    monthlyBudget: 1`,
    pricing: '  up: { input: 1, output: 2 }',
    yaml: `
plugins:
  - name: hooks
    source: ${fixtureSource('hooks-plugin.mjs')}
    hooks: [post_auth, data_collection, custom_endpoints]
    failurePolicy: fail-closed
    deadlineMs: 300
    breaker: { failureThreshold: 1000 }
    allowWrite: ${output.allowWrite}
    config: { outFile: ${outFile} }
  - name: enricher
    source: ${enricher}
    hooks: [post_auth]
    priority: 5
    config: { headers: { x-team: ml } }
collector: { batchSize: 1, flushIntervalMs: 10 }`,
  }))
})
afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

const chat = { model: 'up', messages: [{ role: 'user', content: 'hi' }] }
const events = () => readFileSync(outFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, any>)
async function recorded(requestId: string, type: string) {
  for (let i = 0; i < 150 && !events().some((e) => e.requestId === requestId && e.type === type); i++) await sleep(20)
  return events().find((e) => e.requestId === requestId && e.type === type)
}

describe('one pipeline for every route', () => {
  it('refuses a spent budget on every route, the raw pass-through and plugin endpoints too, before the upstream is called', async () => {
    const sentBefore = upstream.requests.length
    const auth = { authorization: `Bearer ${SPENT_KEY}` }
    expect(await post(`${gateway.url}/v1/chat/completions`, chat, auth)).toMatchObject({ status: 429, json: { error: { code: 'BUDGET_EXCEEDED' } } })
    expect(await post(`${gateway.url}/llm/up/v1/responses`, { model: 'up', input: 'hi' }, auth)).toMatchObject({ status: 429, json: { error: { code: 'BUDGET_EXCEEDED' } } })
    const files = await fetch(`${gateway.url}/llm/up/v1/files`, { headers: auth })
    expect(files.status).toBe(429)
    const endpoint = await fetch(`${gateway.url}/plugins/hooks/events`, { headers: auth })
    expect(endpoint.status).toBe(429)
    expect(((await endpoint.json()) as any).error.code).toBe('BUDGET_EXCEEDED')
    expect(upstream.requests.length).toBe(sentBefore)
  })

  it('still lists the models to an app whose budget is spent: listing spends nothing', async () => {
    const models = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${SPENT_KEY}` } })
    expect(models.status).toBe(200)
    expect(((await models.json()) as any).data.map((model: { id: string }) => model.id)).toContain('up')
  })

  it('fails the pass-through as it fails chat when a fail-closed post-auth plugin fails', async () => {
    const fault = { 'x-fault': 'post_auth:hang' }
    const viaChat = await post(`${gateway.url}/v1/chat/completions`, chat, fault)
    const viaPassThrough = await post(`${gateway.url}/llm/up/v1/responses`, { model: 'up', input: 'hi' }, fault)
    expect(viaChat.status).toBeGreaterThanOrEqual(500)
    expect(viaPassThrough.status).toBe(viaChat.status)
    expect(viaPassThrough.json.error.code).toBe(viaChat.json.error.code)
    expect(viaPassThrough.json.error.message).toContain('plugin "hooks"')
  })

  it('hands post-auth hooks the pass-through body (JSON read for its model, or any other) and sends what they leave upstream', async () => {
    const json = await post(`${gateway.url}/llm/up/v1/responses`, { model: 'up', input: 'hi' }, { 'x-fault': 'post_auth:rewrite' })
    expect(json.status).toBe(200)
    const sentJson = upstream.requests.at(-1)!
    expect(JSON.parse(sentJson.body)).toEqual({ model: 'up', input: 'hi', rewrittenFor: 'up' })
    expect(sentJson.headers['x-post-auth']).toBe('rewrote')
    const text = await post(`${gateway.url}/llm/up/v1/uploads`, 'hello', { 'content-type': 'text/plain', 'x-fault': 'post_auth:rewrite' })
    expect(text.status).toBe(200)
    expect(upstream.requests.at(-1)!.body).toBe('rewritten: hello')
  })

  it('reports pass-through requests to data collection: analytics with their usage, and the proxy log', async () => {
    const requestId = `passthrough-${Date.now()}`
    expect((await post(`${gateway.url}/llm/up/v1/responses`, { model: 'up', input: 'hi' }, { 'x-request-id': requestId })).status).toBe(200)
    expect(await recorded(requestId, 'analytics')).toMatchObject({ appId: 'demo', llm: 'up', model: 'up', status: 200, usage: { promptTokens: 7, completionTokens: 5 }, cost: 17e-6 })
    expect(await recorded(requestId, 'proxy_log')).toMatchObject({ method: 'POST', path: '/llm/up/v1/responses', status: 200, llm: 'up' })
  })

  it('runs post-auth hooks on an auth-required plugin endpoint', async () => {
    const response = await fetch(`${gateway.url}/plugins/hooks/events`, { headers: { authorization: `Bearer ${DEMO_KEY}`, 'x-fault': 'post_auth:block' } })
    expect(response.status).toBe(451)
    expect(response.headers.get('x-plugboard-blocked-by')).toBe('hooks')
  })
})

describe('headers set by hooks reach the upstream', () => {
  it.each([
    ['chat completions', '/v1/chat/completions'],
    ['the raw pass-through', '/llm/up/v1/responses'],
  ])("through %s, with the enricher's headers and without the app's credentials", async (_name, path) => {
    const response = await post(`${gateway.url}${path}`, chat, { 'x-custom': 'kept', cookie: 'session=secret', 'x-api-key': DEMO_KEY })
    expect(response.status).toBe(200)
    const { headers } = upstream.requests.at(-1)!
    expect(headers).toMatchObject({ 'x-team': 'ml', 'x-plugboard-app': 'Demo', 'x-custom': 'kept', authorization: 'Bearer sk-upstream' })
    expect(headers.cookie).toBeUndefined()
    expect(JSON.stringify(headers)).not.toContain(DEMO_KEY)
  })
})
