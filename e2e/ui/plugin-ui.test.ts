import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi } from './admin-api.js'
import { launchChromium, runBrowserTests, screenshots, signedInPage } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

// Plugin UI in the dashboard, against plugboard up: a real plugin's page charting RPC data,
// and a hostile plugin whose components throw, are missing, or insert inline script.

const ADMIN = { email: 'admin@e2e-plugins.example', password: 'e2e plugin ui battery staple' }
const APP_KEY = 'pb-e2e-plugin-ui-key-0123456789'
const dashboardPlugin = fileURLToPath(new URL('../../examples/plugins/rate-limit-dashboard', import.meta.url))
const hostilePlugin = fileURLToPath(new URL('./fixtures/hostile-ui-plugin', import.meta.url))

describe.skipIf(!runBrowserTests)('plugin UI in the dashboard, against plugboard up', { timeout: 90_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  let page: Page
  const screenshot = screenshots('plugins-')
  const shot = (name: string) => screenshot(page, name)
  const sidebar = () => page.getByRole('navigation', { name: 'Sections' })
  const flag = (name: string) => page.evaluate(`window.${name}`)

  beforeAll(async () => {
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    const api = await adminApi(platform.url, ADMIN)
    await api('POST', '/config/apply', { llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }], apps: [{ id: 'demo', keys: [{ value: APP_KEY }], allowedLlms: ['mock'] }] })
    await api('POST', '/plugins', { source: `file://${dashboardPlugin}` })
    await api('POST', '/plugins/rate-limit-dashboard/scopes', { scope: 'kv.readwrite' })
    await api('PATCH', '/plugins/rate-limit-dashboard', { config: { requestsPerMinute: 5 } })
    await api('POST', '/plugins/rate-limit-dashboard/enable')
    await api('POST', '/plugins', { source: `file://${hostilePlugin}` })
    await api('POST', '/plugins/hostile-ui/enable')
    for (let i = 0; i < 3; i++) {
      const chat = await fetch(`${platform.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${APP_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }),
      })
      expect(chat.status).toBe(200)
      await chat.text()
    }
    page = await signedInPage(browser, platform.url, ADMIN)
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
  })

  it("opens the plugin's sidebar entry and shows its chart, drawn from the counters its admin RPC read", async () => {
    await sidebar().getByRole('link', { name: 'Rate limits' }).click()
    await page.waitForURL('**/x/rate-limit-dashboard')
    const bar = page.locator('rate-limit-dashboard-chart svg g[data-app="demo"]')
    await bar.waitFor()
    // 3 requests, refilling at 5 a minute since they were made.
    const [used, limit] = (await bar.locator('text.value').textContent())!.split(' / ').map(Number)
    expect(limit).toBe(5)
    expect(used).toBeGreaterThan(2)
    expect(used).toBeLessThanOrEqual(3)
    expect(Number(await bar.locator('rect.used').getAttribute('width'))).toBeGreaterThan(100)
    await shot('rate-limit-chart')
  })

  it("shows the plugin's tab on an app's page with that app's bar", async () => {
    await sidebar().getByRole('link', { name: 'Apps', exact: true }).click()
    await page.getByRole('link', { name: 'demo' }).first().click()
    await page.getByRole('tab', { name: 'Rate limit' }).waitFor()
    await page.locator('rate-limit-dashboard-app svg g[data-app="demo"]').waitFor()
    await shot('app-tab')
  })

  it('shows an error panel naming the plugin when its component throws, and the sidebar still works', async () => {
    await sidebar().getByRole('link', { name: 'Throws', exact: true }).click()
    const panel = page.getByRole('alert', { name: 'Hostile UI failed' })
    await panel.waitFor()
    expect(await panel.textContent()).toContain('the hostile component broke on purpose')
    await shot('component-throws')
    await sidebar().getByRole('link', { name: 'LLMs' }).click()
    await page.getByRole('heading', { name: 'LLMs' }).waitFor()
    await page.getByRole('link', { name: 'mock' }).waitFor()
  })

  it('shows the error panel above a shown component when its code throws later, in a timer or a promise, and the sidebar still works', async () => {
    await sidebar().getByRole('link', { name: 'Throws later', exact: true }).click()
    const panel = page.getByRole('alert', { name: 'Hostile UI failed' })
    const button = page.getByRole('button', { name: 'Break in a timer' })
    await button.waitFor()
    expect(await panel.count()).toBe(0)
    await button.click()
    await expect.poll(() => panel.textContent()).toContain('it failed while shown: the hostile component broke later, in a timer')
    await page.getByRole('button', { name: 'Break in a promise' }).click()
    await expect.poll(() => panel.textContent()).toContain('the hostile component broke later, in a promise')
    expect(await button.isVisible()).toBe(true)
    await shot('component-throws-later')
    await sidebar().getByRole('link', { name: 'LLMs' }).click()
    await page.getByRole('link', { name: 'mock' }).waitFor()
    expect(await panel.count()).toBe(0)
  })

  it("shows an error panel with Studio's code when the plugin serves no such module", async () => {
    await sidebar().getByRole('link', { name: 'Missing module' }).click()
    const panel = page.getByRole('alert', { name: 'Hostile UI failed' })
    await panel.waitFor()
    expect(await panel.textContent()).toContain('PLUGIN_ASSET_NOT_FOUND')
    await shot('module-missing')
  })

  it('runs no inline script a component inserts: the CSP refuses each, the window flag stays unset', async () => {
    await sidebar().getByRole('link', { name: 'Inline script' }).click()
    await page.getByText('Inline content inserted.').waitFor()
    await expect.poll(() => flag('__cspBlocked')).toBeGreaterThanOrEqual(2)
    expect(await flag('__inlineRan')).toBeUndefined()
    await shot('inline-script-blocked')
  })
  // Last: it ends the session.
  it('goes to sign-in, not an error panel, when a module cannot load because the session ended', async () => {
    await page.context().clearCookies()
    await sidebar().getByRole('link', { name: 'Missing module' }).click()
    await page.waitForURL('**/sign-in**')
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    await shot('module-session-ended')
  })
})
