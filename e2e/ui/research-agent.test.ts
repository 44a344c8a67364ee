import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi } from './admin-api.js'
import { launchChromium, newPage, runBrowserTests, screenshots, signIn } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

const ADMIN = { email: 'research-admin@e2e.example', password: 'e2e research correct horse' }
const RESEARCH_AGENT = `file://${fileURLToPath(new URL('../../examples/plugins/research-agent', import.meta.url))}`
const KETTLE_API = {
  openapi: '3.1.0',
  info: { title: 'Kettles', version: '1' },
  paths: { '/kettles': { get: { operationId: 'getKettle', parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }], responses: { 200: { description: 'the kettle' } } } } },
}

/** The kettle tool's server: the kettle it knows, or 500 when the query asks for a broken one. */
const toolServer = createServer((request, response) => {
  const q = new URL(request.url!, 'http://x').searchParams.get('q') ?? ''
  if (q.includes('broken')) return void response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"the kettle service is down"}')
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ model: 'K1', water: 'hard' }))
})

describe.skipIf(!runBrowserTests)('the research agent in a browser chat, against plugboard up', { timeout: 60_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  let page: Page
  const screenshot = screenshots('research-agent-')
  const shot = (name: string) => screenshot(page, name)
  const reply = () => page.locator('li.chat-message.assistant').last()
  const send = async (text: string) => {
    await page.getByLabel('Message').fill(text)
    await page.getByLabel('Message').press('Enter')
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => toolServer.listen(0, '127.0.0.1', resolve))
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    page = await newPage(browser, platform.url)
  })
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
    toolServer.close()
  })

  it('installs and grants the agent through the admin API, with an LLM, a tool and a datasource', async () => {
    const api = await adminApi(platform.url, ADMIN)
    // Slow enough to watch the answer stream: 24 tokens, 40 ms apart.
    await api('POST', '/llms', { slug: 'mock', vendor: 'mock', models: ['mock-gpt'], mock: { completionTokens: 24, chunks: 24, chunkDelayMs: 40 } })
    await api('POST', '/tools', { slug: 'kettles', spec: KETTLE_API, baseUrl: `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}` })
    await api('POST', '/datasources', { slug: 'handbook' })
    await api('POST', '/datasources/handbook/documents', { name: 'kettle.md', contentType: 'text/markdown', content: '# Kettle\n\nDescale the kettle monthly with citric acid.' })
    await api('POST', '/plugins', { source: RESEARCH_AGENT, name: 'research' })
    for (const scope of ['datasources.query', 'tools.execute', 'llms.proxy']) await api('POST', '/plugins/research/scopes', { scope })
    await api('PATCH', '/plugins/research', { config: { datasource: 'handbook', tool: 'kettles', operation: 'getKettle', toolQueryParameter: 'q' }, llms: ['mock'], tools: ['kettles'], datasources: ['handbook'] })
    await api('POST', '/plugins/research/enable')

    await page.goto('/sign-in')
    await signIn(page, ADMIN.email, ADMIN.password)
    await page.waitForURL('**/llms')
    await page.getByRole('link', { name: 'Chat' }).click()
    await page.waitForURL('**/chat')
    await expect.poll(() => page.getByLabel('Chat with').locator('option').allTextContents()).toContain('Research agent (agent)')
    await page.getByLabel('Chat with').selectOption({ label: 'Research agent (agent)' })
    await shot('picked')
  })

  it('shows its thinking, the search and the tool call with their results, then the answer as it streams', async () => {
    await send('How do I descale the kettle?')
    const thinking = reply().locator('details.thinking').first()
    await thinking.getByText(/^Plan: search "handbook" for "how or descale or the or kettle", call kettles\.getKettle, then ask mock/).waitFor()
    expect(await thinking.getAttribute('open')).not.toBeNull()
    await shot('thinking')

    const search = reply().getByRole('region', { name: 'Tool search_datasource' })
    await search.getByText('Tool call search_datasource').waitFor()
    expect(JSON.parse((await search.getByLabel('Arguments').textContent())!)).toEqual({ datasource: 'handbook', query: 'how or descale or the or kettle', limit: 3 })
    await expect.poll(async () => (await search.getByLabel('Result').count()) && search.getByLabel('Result').textContent()).toContain('Descale the kettle monthly with citric acid.')
    await shot('datasource-result')

    const tool = reply().getByRole('region', { name: 'Tool kettles.getKettle' })
    await tool.getByLabel('Result').waitFor()
    expect(JSON.parse((await tool.getByLabel('Arguments').textContent())!)).toEqual({ parameters: { query: { q: 'how descale the kettle' } } })
    expect(JSON.parse((await tool.getByLabel('Result').textContent())!)).toEqual({ status: 200, body: { model: 'K1', water: 'hard' } })
    expect(await tool.locator('.tool-state').textContent()).toBe('done')
    await shot('tool-result')

    // The answer streams in: seen part-way, still busy, then whole.
    await expect.poll(async () => ((await reply().locator('.chat-text').textContent()) ?? '').length).toBeGreaterThan(0)
    expect(await reply().getAttribute('aria-busy')).toBe('true')
    const partial = await reply().locator('.chat-text').textContent()
    await shot('answer-streaming')
    await page.getByRole('button', { name: 'Send' }).waitFor()
    const answer = await reply().locator('.chat-text').textContent()
    expect(answer).toMatch(/^Mock reply to: How do I descale the/)
    expect(answer!.startsWith(partial!)).toBe(true)
    expect(answer!.length).toBeGreaterThan(partial!.length)
    // Stored: thinking folds away, the tool calls stay with their results.
    expect(await reply().locator('details.thinking').first().getAttribute('open')).toBeNull()
    expect(await reply().locator('section.tool').count()).toBe(2)
    await shot('answered')
  })

  it('shows the failed tool call and the error when the tool answers 500', async () => {
    await send('Is my broken kettle safe?')
    await page.getByRole('button', { name: 'Send' }).waitFor()
    const tool = reply().getByRole('region', { name: 'Tool kettles.getKettle' })
    expect(await tool.locator('.tool-state').textContent()).toBe('failed')
    expect(await tool.getByText('Tool failed').count()).toBe(1)
    await expect.poll(() => reply().getByRole('alert').textContent()).toBe('calling kettles.getKettle failed: the tool answered 500 RESEARCH_TOOL_FAILED')
    await shot('tool-failed')
  })
})
