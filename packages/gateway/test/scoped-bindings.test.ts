import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { completionJson, fakeUpstream, pluginOutput, post, startGateway } from './helpers.js'

// A plugin bound to some apps or LLMs runs only for their requests; the others never reach it.

const OTHER_KEY = 'pb-other-key-00000000'
const plugin = (name: string) => new URL(`../../../examples/plugins/${name}`, import.meta.url).href
const output = pluginOutput('pb-gw-scoped-')

let gateway: Gateway
let upstream: Awaited<ReturnType<typeof fakeUpstream>>

beforeAll(async () => {
  upstream = await fakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(completionJson('up'))
  })
  const llm = (slug: string) => `
  - slug: ${slug}
    vendor: openai
    baseUrl: ${upstream.url}/v1
    apiKey: sk-upstream
    models: [${slug}-model]`
  ;({ gateway } = await startGateway({
    llms: llm('up') + llm('up2'),
    apps: `
  - id: other
    keys: [{ value: ${OTHER_KEY} }]
    allowedLlms: ['*']`,
    yaml: `
plugins:
  - name: enricher
    source: ${plugin('request-enricher')}
    apps: [demo]
    llms: [up]
  - name: analytics
    source: ${plugin('file-analytics')}
    apps: [other]
    allowWrite: ${output.allowWrite}
    config: { path: ${output.file} }
collector: { batchSize: 1, flushIntervalMs: 10 }
`,
  }))
})
afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hello' }] })
const lastUpstreamHeaders = () => upstream.requests.at(-1)!.headers

describe('bindings limited to apps and LLMs', () => {
  it('runs a post-auth plugin only for the app and LLM it is bound to', async () => {
    expect((await post(`${gateway.url}/v1/chat/completions`, chat('up-model'))).status).toBe(200)
    expect(lastUpstreamHeaders()['x-plugboard-app-id']).toBe('demo')

    expect((await post(`${gateway.url}/v1/chat/completions`, chat('up2-model'))).status).toBe(200)
    expect(lastUpstreamHeaders()['x-plugboard-app-id']).toBeUndefined()

    expect((await post(`${gateway.url}/v1/chat/completions`, chat('up-model'), { authorization: `Bearer ${OTHER_KEY}` })).status).toBe(200)
    expect(lastUpstreamHeaders()['x-plugboard-app-id']).toBeUndefined()
  })

  it('sends a data-collection plugin only the records of its apps', async () => {
    const ids = { demo: `scoped-demo-${Date.now()}`, other: `scoped-other-${Date.now()}` }
    await post(`${gateway.url}/v1/chat/completions`, chat('up-model'), { 'x-request-id': ids.demo })
    await post(`${gateway.url}/v1/chat/completions`, chat('up-model'), { authorization: `Bearer ${OTHER_KEY}`, 'x-request-id': ids.other })
    const lines = () => {
      try {
        return readFileSync(output.file, 'utf8')
      } catch {
        return ''
      }
    }
    for (let i = 0; i < 100 && !lines().includes(ids.other); i++) await sleep(20)
    await sleep(100)
    expect(lines()).toContain(ids.other)
    expect(lines()).not.toContain(ids.demo)
  })
})

describe('a binding that cannot be limited', () => {
  it('refuses a pre-auth plugin bound to some apps: it runs before the app is known', async () => {
    await expect(
      startGateway({
        yaml: `
plugins:
  - name: allow
    source: ${plugin('ip-allowlist')}
    apps: [demo]
    config: { allow: ['127.0.0.1'] }
`,
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('pre_auth') })
  })
})
