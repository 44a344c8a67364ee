import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi, type AdminApi } from './admin-api.js'
import { launchChromium, runBrowserTests, screenshots, signedInPage } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

// The Plugins page against plugboard up, as an admin uses it: install from a path, grant
// the requested scopes by ticking them, fill the config form generated from the plugin's
// JSON Schema (inline errors, under the strict CSP), enable, reload, disable, uninstall.

const ADMIN = { email: 'admin@e2e-plugins-page.example', password: 'e2e plugins page battery staple' }
const dashboardPlugin = fileURLToPath(new URL('../../examples/plugins/rate-limit-dashboard', import.meta.url))
const allowListPlugin = fileURLToPath(new URL('../../examples/plugins/ip-allowlist', import.meta.url))
const hostilePlugin = fileURLToPath(new URL('./fixtures/hostile-manifest-plugin', import.meta.url))

interface PluginAnswer {
  enabled: boolean
  config: unknown
  revision: number
  granted: { scopes: string[]; topics: { publish: string[] } }
}

describe.skipIf(!runBrowserTests)('the Plugins page, against plugboard up', { timeout: 90_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  let page: Page
  let api: AdminApi
  const screenshot = screenshots('plugins-page-')
  const shot = (name: string) => screenshot(page, name)
  const sidebar = () => page.getByRole('navigation', { name: 'Sections' })
  const stored = (name: string) => api<PluginAnswer>('GET', `/plugins/${name}`)
  const configForm = () => page.getByRole('region', { name: 'Config' })
  const actionButton = (name: string) => page.getByRole('group', { name: 'Plugin actions' }).getByRole('button', { name, exact: true })
  // Every CSP refusal on the page, counted by a script the browser runs before the page's own (not subject to the CSP).
  const cspViolations = () => page.evaluate('window.__cspViolations ?? []') as Promise<string[]>
  // Each script the page fetched, by file name, with its gzipped size.
  const scripts = new Map<string, number>()
  const configFormChunks = () => [...scripts.keys()].filter((name) => name.startsWith('ConfigForm-'))

  async function install(path: string) {
    await sidebar().getByRole('link', { name: 'Plugins' }).click()
    await page.getByRole('heading', { name: 'Plugins', exact: true }).waitFor()
    await page.getByLabel('Path or address').fill(path)
    await page.getByRole('button', { name: 'Install', exact: true }).click()
  }

  beforeAll(async () => {
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    api = await adminApi(platform.url, ADMIN)
    page = await signedInPage(browser, platform.url, ADMIN, async (page) => {
      page.on('response', async (response) => {
        if (response.request().resourceType() === 'script') scripts.set(new URL(response.url()).pathname.split('/').pop()!, gzipSync(await response.body()).length)
      })
      await page.addInitScript("addEventListener('securitypolicyviolation', (event) => (window.__cspViolations ??= []).push(event.violatedDirective + ' ' + event.sample))")
    })
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
  })

  it("shows the API's message when the path to install holds no plugin", async () => {
    await install('/no/such/plugin')
    const alert = page.getByRole('form', { name: 'Install plugin' }).getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toContain('the plugin could not be installed')
    // Said once, above the form: not again under the field with the host's internal code.
    expect(await page.locator('#field-source-error').count()).toBe(0)
    expect(await page.getByRole('form', { name: 'Install plugin' }).textContent()).not.toMatch(/[A-Z]+_[A-Z_]+:/)
    expect(page.url()).toMatch(/\/installed-plugins$/)
    await shot('install-missing-path')
  })

  it('installs a plugin from its path and shows the scopes it asks for, none granted', async () => {
    await install(dashboardPlugin)
    await page.waitForURL('**/installed-plugins/rate-limit-dashboard')
    await page.getByRole('heading', { name: 'Rate limits' }).waitFor()
    const scope = page.getByRole('checkbox', { name: 'kv.readwrite' })
    expect(await scope.isChecked()).toBe(false)
    await page.getByText('Keep its own data in its key-value store').waitFor()
    expect((await stored('rate-limit-dashboard')).granted.scopes).toEqual([])
    // The form library loads with the first page that shows a config form, not before.
    await configForm().locator('#root_requestsPerMinute').waitFor()
    const [chunk] = configFormChunks()
    expect(chunk).toBeDefined()
    console.log(`config form chunk (rjsf + validator): ${chunk}, ${(scripts.get(chunk!)! / 1024).toFixed(1)} KB gzipped`)
    await shot('installed-scopes-requested')
  })

  it('grants a scope by ticking it and revokes it by unticking it', async () => {
    const scope = page.getByRole('checkbox', { name: 'kv.readwrite' })
    await scope.check()
    await expect.poll(async () => (await stored('rate-limit-dashboard')).granted.scopes).toEqual(['kv.readwrite'])
    await scope.uncheck()
    await expect.poll(async () => (await stored('rate-limit-dashboard')).granted.scopes).toEqual([])
    await scope.check()
    await expect.poll(async () => (await stored('rate-limit-dashboard')).granted.scopes).toEqual(['kv.readwrite'])
    await page.getByText('Saving…').waitFor({ state: 'detached' })
    await shot('scope-granted')
  })

  it("shows Studio's refusal to enable without the required config inline, at the field it names", async () => {
    await actionButton('Enable').click()
    const message = page.getByRole('alert').filter({ hasText: 'config does not match the schema' })
    await message.waitFor()
    await configForm().getByText('is required').waitFor()
    expect((await stored('rate-limit-dashboard')).enabled).toBe(false)
    await sidebar().getByRole('link', { name: 'Rate limits' }).waitFor({ state: 'detached' })
    await shot('enable-refused-config-required')
  })

  it('shows an invalid config value inline before sending it, and saves it once fixed', async () => {
    const field = configForm().locator('#root_requestsPerMinute')
    await field.fill('0')
    await configForm().getByRole('button', { name: 'Save config' }).click()
    const inline = configForm().locator('.error-detail')
    await inline.first().waitFor()
    expect(await inline.first().textContent()).toContain('0 is less than or equal to 0')
    expect((await stored('rate-limit-dashboard')).config).toBeNull()
    await shot('config-invalid-inline')
    await field.fill('5')
    await configForm().getByRole('button', { name: 'Save config' }).click()
    await configForm().getByText('Saved.').waitFor()
    expect(await inline.count()).toBe(0)
    expect((await stored('rate-limit-dashboard')).config).toEqual({ requestsPerMinute: 5 })
    expect(await cspViolations()).toEqual([])
    await shot('config-saved')
  })

  it('enables it, and its own page opens from the sidebar', async () => {
    await actionButton('Enable').click()
    await actionButton('Disable').waitFor()
    await page.getByRole('region', { name: 'Status' }).getByText('running').first().waitFor()
    expect((await stored('rate-limit-dashboard')).enabled).toBe(true)
    await shot('enabled-running')
    // No reload: enabling it here makes the sidebar read the plugins' entries again.
    await sidebar().getByRole('link', { name: 'Rate limits' }).click()
    await page.waitForURL('**/x/rate-limit-dashboard')
    await page.locator('rate-limit-dashboard-chart').waitFor()
    await shot('plugin-page-from-sidebar')
  })

  it('reloads and disables it from its detail page, each showing progress, and refreshes its log tail', async () => {
    await sidebar().getByRole('link', { name: 'Plugins' }).click()
    await page.getByRole('table', { name: 'Installed plugins' }).getByRole('link', { name: 'Rate limits' }).click()
    await page.waitForURL('**/installed-plugins/rate-limit-dashboard')
    await actionButton('Reload').click()
    await page.getByRole('button', { name: 'Reloading…' }).waitFor({ state: 'detached' })
    await expect.poll(async () => (await stored('rate-limit-dashboard')).revision).toBe(1)
    await page.locator('.facts').getByText('1', { exact: true }).waitFor()
    await shot('reloaded')
    await actionButton('Disable').click()
    await actionButton('Enable').waitFor()
    await page.getByRole('region', { name: 'Status' }).getByText('disabled').waitFor()
    expect((await stored('rate-limit-dashboard')).enabled).toBe(false)
    await sidebar().getByRole('link', { name: 'Rate limits' }).waitFor({ state: 'detached' })
    await page.getByRole('button', { name: 'Refresh logs' }).click()
    await page.getByRole('button', { name: 'Refresh logs' }).waitFor()
    await page.getByRole('region', { name: 'Logs' }).locator('pre, p').first().waitFor()
    await shot('disabled-logs')
  })

  it("renders markup in a plugin's manifest and config schema as text, and grants the topics it asks for", async () => {
    await install(hostilePlugin)
    await page.waitForURL('**/installed-plugins/hostile-manifest')
    const heading = page.getByRole('heading', { level: 1 })
    await heading.waitFor()
    expect(await heading.textContent()).toContain('<img src="/nowhere.png" onerror=')
    expect(await heading.locator('img').count()).toBe(0)
    await page.getByText('Describes itself with <img').waitFor()
    await configForm().getByText('Motto <b onmouseover=').waitFor()
    expect(await configForm().locator('#root_motto').inputValue()).toContain('<script>')
    expect(await page.locator('main b, main script, main img').count()).toBe(0)
    const topic = page.getByRole('checkbox', { name: 'publish sneaky.>' })
    await topic.check()
    await expect.poll(async () => (await stored('hostile-manifest')).granted.topics.publish).toEqual(['sneaky.>'])
    await page.getByText('Saving…').waitFor({ state: 'detached' })
    expect(await page.evaluate('window.__manifestXss')).toBeUndefined()
    expect(await cspViolations()).toEqual([])
    await shot('markup-as-text')
  })

  it('uninstalls only after a confirmation', async () => {
    await actionButton('Uninstall').click()
    const confirm = page.getByRole('alertdialog', { name: 'Confirm uninstall' })
    await confirm.getByRole('button', { name: 'Cancel' }).click()
    await confirm.waitFor({ state: 'detached' })
    await stored('hostile-manifest')
    await actionButton('Uninstall').click()
    await shot('uninstall-confirm')
    await confirm.getByRole('button', { name: 'Yes, uninstall' }).click()
    await page.waitForURL(/\/installed-plugins$/)
    await page.reload()
    await page.getByRole('table', { name: 'Installed plugins' }).getByRole('link', { name: 'Rate limits' }).waitFor()
    expect(await page.getByRole('table', { name: 'Installed plugins' }).getByText('hostile-manifest').count()).toBe(0)
    await expect(stored('hostile-manifest')).rejects.toThrow(/404/)
    await shot('uninstalled')
  })

  it("labels the config form's array buttons in words: add, move up, move down, remove", async () => {
    await install(allowListPlugin)
    await page.waitForURL(/\/installed-plugins\/[^/]*ip-allowlist$/)
    const add = configForm().getByRole('button', { name: 'Add Item' })
    await add.click()
    await add.click()
    await configForm().locator('#root_allow_0').fill('10.0.0.0/8')
    await configForm().locator('#root_allow_1').fill('192.168.0.0/16')
    const buttons = await configForm()
      .locator('fieldset button')
      .evaluateAll((found) => found.map((button) => [button.getAttribute('aria-label'), button.textContent]))
    const names = buttons.map(([name]) => name)
    expect(names.filter((name) => name === 'Remove')).toHaveLength(2)
    expect(names).toEqual(expect.arrayContaining(['Add Item', 'Move up', 'Move down', 'Remove']))
    for (const [name, text] of buttons) expect(text).toBe(name)
    await shot('array-buttons')
    await configForm().getByRole('button', { name: 'Move up' }).last().click()
    expect(await configForm().locator('#root_allow_0').inputValue()).toBe('192.168.0.0/16')
  })

  it('says so when the running plugin refuses a saved config its schema allows, instead of "Saved."', async () => {
    await configForm().getByRole('button', { name: 'Save config' }).click()
    await configForm().getByText('Saved.').waitFor()
    await actionButton('Enable').click()
    await actionButton('Disable').waitFor()
    await page.getByRole('region', { name: 'Status' }).getByText('running').first().waitFor()

    // The schema takes any string; the plugin itself refuses one that is no address.
    await configForm().locator('#root_allow_1').fill('not-an-ip')
    await configForm().getByRole('button', { name: 'Save config' }).click()
    const alert = configForm().getByRole('alert')
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toContain('refused it and keeps running with the one before')
    expect(await alert.textContent()).toContain('not-an-ip')
    expect(await configForm().getByText('Saved.').count()).toBe(0)
    await shot('config-refused-by-plugin')
  })
})
