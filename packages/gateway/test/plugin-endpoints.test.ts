import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { DEMO_KEY, fixtureSource, post, startGateway } from './helpers.js'

let gateway: Gateway

beforeAll(async () => {
  ;({ gateway } = await startGateway({ yaml: `plugins: [{ name: hooks, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [custom_endpoints] }]` }))
})
afterAll(() => gateway.close())

describe('plugin custom endpoints under /plugins/{slug}/', () => {
  it('serves a unary endpoint with path parameters and no auth', async () => {
    const response = await fetch(`${gateway.url}/plugins/hooks/hello/ada`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ hello: 'ada' })
  })

  it('requires the app key where the endpoint says so, and hands the app to the plugin', async () => {
    expect((await fetch(`${gateway.url}/plugins/hooks/events`)).status).toBe(401)
    const started = Date.now()
    const response = await fetch(`${gateway.url}/plugins/hooks/events`, { headers: { authorization: `Bearer ${DEMO_KEY}` } })
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const reader = response.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toBe('data: {"i":0,"app":"demo"}\n\n')
    expect(Date.now() - started).toBeLessThan(500)
    let rest = ''
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value)
    expect(rest).toContain('"i":2')
  })

  it('answers unknown plugins and paths with ROUTE_NOT_FOUND, another method with METHOD_NOT_ALLOWED, and a failing handler with PLUGIN_FAILED', async () => {
    expect((await post(`${gateway.url}/plugins/nobody/x`, {})).json.error.code).toBe('ROUTE_NOT_FOUND')
    expect((await post(`${gateway.url}/plugins/hooks/nothing-here`, {})).json.error.code).toBe('ROUTE_NOT_FOUND')
    const wrongMethod = await post(`${gateway.url}/plugins/hooks/hello/ada`, {})
    expect(wrongMethod).toMatchObject({ status: 405, json: { error: { code: 'METHOD_NOT_ALLOWED' } } })
    expect(wrongMethod.headers.get('allow')).toBe('GET')
    const failed = await post(`${gateway.url}/plugins/hooks/fail`, {})
    expect(failed.status).toBe(502)
    expect(failed.json.error).toMatchObject({ code: 'PLUGIN_FAILED', message: expect.stringContaining('endpoint handler broke') })
  })

  it('ends a stream that breaks after it started with a last SSE event carrying the error', async () => {
    const response = await fetch(`${gateway.url}/plugins/hooks/events-break`)
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text.startsWith('data: {"i":0}\n\n')).toBe(true)
    const last = JSON.parse(text.trim().split('\n\n').at(-1)!.slice('data: '.length))
    expect(last.error).toMatchObject({ code: 'PLUGIN_FAILED', message: expect.stringContaining('stream broke mid-way') })
  })
})

describe('a custom endpoint under /ui, where Studio serves the plugin UI assets', () => {
  it('is refused when the plugin loads (CONFIG_INVALID naming the path), so the two never collide', async () => {
    const started = startGateway({ yaml: `plugins: [{ name: ui-endpoint, source: ${fixtureSource('ui-endpoint-plugin.mjs')}, hooks: [custom_endpoints] }]` })
    await expect(started).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('/ui/page.js') })
  })
})
