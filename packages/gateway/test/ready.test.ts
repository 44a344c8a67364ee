import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway, GatewayConfig } from '@plugboard/gateway'
import { fixtureSource, post, startGateway } from './helpers.js'
import { eventually } from './plugin-processes.js'

let gateway: Gateway
let config: GatewayConfig

beforeAll(async () => {
  ;({ gateway, config } = await startGateway({
    yaml: `
plugins:
  - { name: guard, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [pre_auth], failurePolicy: fail-closed, restart: { initialDelayMs: 1500 } }
  - { name: optional, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [post_auth], restart: { initialDelayMs: 1500 } }`,
  }))
})
afterAll(() => gateway.close())

const ready = async () => {
  const response = await fetch(`${gateway.url}/ready`)
  return { status: response.status, body: (await response.json()) as { status: string; reasons: string[] } }
}
const plugin = (name: string) => gateway.plugins().find((p) => p.name === name)!

describe('/ready', () => {
  it('is 200 while every plugin serves', async () => {
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', reasons: [] } })
  })

  it('stays ready while a fail-open plugin restarts: requests do not fail for it', async () => {
    const pid = plugin('optional').pid!
    process.kill(pid, 'SIGKILL')
    expect(await eventually(() => plugin('optional').state === 'restarting')).toBe(true)
    expect((await ready()).status).toBe(200)
    expect(await eventually(() => plugin('optional').state === 'running' && plugin('optional').pid !== pid)).toBe(true)
  })

  it('reports degraded, with the reason, while a fail-closed plugin is down, and ready again once it is back', async () => {
    process.kill(plugin('guard').pid!, 'SIGKILL')
    expect(await eventually(() => plugin('guard').state === 'restarting')).toBe(true)
    expect(await ready()).toEqual({ status: 503, body: { status: 'degraded', reasons: ['fail-closed plugin "guard" is restarting'] } })
    expect(await eventually(async () => (await ready()).status === 200)).toBe(true)
    expect(plugin('guard').state).toBe('running')
  })

  it('keeps a restarting fail-closed plugin in its chain when a config is applied meanwhile: requests still fail, none slips past', async () => {
    process.kill(plugin('guard').pid!, 'SIGKILL')
    expect(await eventually(() => plugin('guard').state === 'restarting')).toBe(true)
    await gateway.reload({ ...config, pricing: { 'mock-gpt': { input: 3, output: 4 } } })
    const response = await post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] })
    expect(response.status).toBe(502)
    expect(response.json.error.message).toContain('guard')
    expect(await eventually(async () => (await post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] })).status === 200)).toBe(true)
  })
})
