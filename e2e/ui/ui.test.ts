import { gzipSync } from 'node:zlib'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, newPage, runBrowserTests, screenshots, signIn } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
const ADMIN = { email: 'admin@e2e.example', password: 'e2e correct horse battery' }
const XSS = '<img src=x onerror=window.__xss=1>'
/** The most JavaScript (gzipped) the first load of the dashboard may fetch. */
const FIRST_LOAD_BUDGET = 300 * 1024

describe.skipIf(!runBrowserTests)('the dashboard in a browser, against plugboard up', { timeout: 60_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const screenshot = screenshots('')
  const shot = (name: string) => screenshot(page, name)

  const signInAsAdmin = (password = ADMIN.password) => signIn(page, ADMIN.email, password)

  beforeAll(async () => {
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    page = await newPage(browser, platform.url)
    context = page.context()
  })
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
  })

  it('sends a visitor to sign-in, under the strict CSP, and shows the API’s message for a wrong password', async () => {
    const response = await page.goto('/')
    expect(response!.headers()['content-security-policy']).toBe(CSP)
    await page.waitForURL('**/sign-in')
    await signInAsAdmin('not the password')
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('the email or password is wrong')
    await shot('sign-in-wrong-password')
  })

  it('gives the dashboard an icon Studio serves, so a first load asks for no missing file', async () => {
    const missing: string[] = []
    const record = (response: import('playwright-core').Response) => void (response.status() === 404 && missing.push(new URL(response.url()).pathname))
    const fresh = await newPage(browser, platform.url)
    fresh.on('response', record)
    await fresh.goto('/')
    await fresh.waitForURL('**/sign-in')
    await fresh.waitForLoadState('networkidle')
    const href = await fresh.locator('link[rel="icon"]').getAttribute('href')
    const icon = await fresh.request.get(href!)
    await fresh.close()
    expect(missing).toEqual([])
    expect(icon.status()).toBe(200)
    expect(icon.headers()['content-type']).toBe('image/svg+xml')
    expect(await icon.text()).toMatch(/^<svg /)
  })

  it('signs the first admin in to the LLMs, having fetched less than 300 KB of gzipped JavaScript', async () => {
    const scripts = new Map<string, number>()
    const record = async (response: import('playwright-core').Response) => {
      if (response.request().resourceType() === 'script') scripts.set(response.url(), gzipSync(await response.body()).length)
    }
    const listener = (response: import('playwright-core').Response) => void record(response)
    page.on('response', listener)
    await page.goto('/')
    await page.waitForURL('**/sign-in')
    await signInAsAdmin()
    await page.waitForURL('**/llms')
    await page.getByText('No LLMs yet.').waitFor()
    page.off('response', listener)
    const total = [...scripts.values()].reduce((sum, size) => sum + size, 0)
    console.log(`first load of the dashboard (sign-in + shell + LLMs): ${scripts.size} JS files, ${(total / 1024).toFixed(1)} KB gzipped`)
    expect(scripts.size).toBeGreaterThan(1)
    expect(total).toBeLessThan(FIRST_LOAD_BUDGET)
    await expect.poll(() => page.getByRole('navigation', { name: 'Sections' }).textContent()).toContain(ADMIN.email)
    await shot('llms-empty')
  })

  it('creates a mock LLM, showing the API’s validation errors under the field they name and progress while saving', async () => {
    await page.getByRole('link', { name: 'New LLM' }).click()
    await page.getByLabel('Slug').fill('Not A Slug')
    await page.getByLabel('Models').fill('e2e-model')
    await page.getByRole('button', { name: 'Create LLM' }).click()
    await expect.poll(() => page.locator('#field-slug-error').textContent()).toMatch(/lower-case letters/)
    expect(await page.getByRole('alert').textContent()).toBe('the body does not fit the schema')
    await shot('llm-validation-error')

    // Slowed down so the progress can be seen.
    await page.route('**/api/v1/llms', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 500))
      await route.continue()
    })
    await page.getByLabel('Slug').fill('e2e-mock')
    await page.getByRole('button', { name: 'Create LLM' }).click()
    const saving = page.getByRole('button', { name: 'Saving…' })
    await saving.waitFor()
    expect(await saving.isDisabled()).toBe(true)
    await shot('llm-saving')
    await page.waitForURL('**/llms')
    await page.unroute('**/api/v1/llms')
    await page.getByRole('cell', { name: 'e2e-model' }).waitFor()
    await shot('llms-created')
  })

  it('creates an app allowed to use the LLM, issues a key shown once, copies it, and the gateway serves that key until it is revoked', async () => {
    await page.getByRole('link', { name: 'Apps', exact: true }).click()
    await page.getByRole('link', { name: 'New app' }).click()
    await page.getByLabel('Slug').fill('e2e-app')
    await page.getByLabel('Name').fill('E2E app')
    await page.getByLabel('e2e-mock').check()
    await page.getByRole('button', { name: 'Create app' }).click()
    await page.getByRole('heading', { name: 'E2E app' }).waitFor()
    await page.getByRole('button', { name: 'Issue key' }).click()
    const shown = (await page.locator('.secret code').textContent())!
    expect(shown).toMatch(/^pb-/)
    await page.getByRole('button', { name: 'Copy' }).click()
    await page.getByRole('button', { name: 'Copied' }).waitFor()
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(shown)
    await shot('app-key-issued')

    const chat = () =>
      fetch(`${platform.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${shown}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'e2e-model', messages: [{ role: 'user', content: 'hello' }] }),
      })
    const served = await chat()
    expect(served.status).toBe(200)
    expect(((await served.json()) as { object: string }).object).toBe('chat.completion')

    await page.getByRole('button', { name: 'Done' }).click()
    expect(await page.getByText(shown).count()).toBe(0)
    await page.getByRole('button', { name: /^Revoke key/ }).click()
    await page.getByRole('group', { name: /^Revoke key .+\?$/ }).getByRole('button', { name: 'Yes, revoke' }).click()
    await page.getByRole('cell', { name: 'revoked' }).waitFor()
    await shot('app-key-revoked')
    expect((await chat()).status).toBe(401)
  })

  it('shows an app name that is markup as text, running none of it', async () => {
    await page.goto('/apps/new')
    await page.getByLabel('Slug').fill('xss-app')
    await page.getByLabel('Name').fill(XSS)
    await page.getByRole('button', { name: 'Create app' }).click()
    await page.getByRole('heading', { name: XSS }).waitFor()
    await page.goto('/apps')
    expect(await page.getByRole('link', { name: XSS }).textContent()).toBe(XSS)
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.evaluate('window.__xss')).toBeUndefined()
    await shot('xss-as-text')
  })

  it('runs no inline script put into a UI page, where the same script runs in a page without the CSP', async () => {
    // Strings, not functions: evaluated in the page, whose DOM types the Node test program does not have.
    const inject = (target: Page) => target.evaluate("(() => { const script = document.createElement('script'); script.textContent = 'window.__inline = 1'; document.body.append(script); return window.__inline })()")
    const response = await page.goto('/apps')
    expect(response!.headers()['content-security-policy']).toBe(CSP)
    const violation = page.waitForEvent('console', (message) => message.text().includes('Content Security Policy'))
    expect(await inject(page)).toBeUndefined()
    await violation
    const plain = await context.newPage()
    try {
      await plain.setContent('<p>no CSP here</p>')
      expect(await inject(plain)).toBe(1)
    } finally {
      await plain.close()
    }
  })

  it('sends a user whose session ended mid-form to sign-in, and gives the form back as typed afterwards', async () => {
    await page.goto('/apps/new')
    await page.getByLabel('Slug').fill('kept-app')
    await page.getByLabel('Name').fill('Kept across sign-in')
    await page.getByLabel('e2e-mock').check()
    await context.clearCookies({ name: 'pb_session' })
    await page.getByRole('button', { name: 'Create app' }).click()
    await page.waitForURL('**/sign-in?**')
    expect(new URL(page.url()).searchParams.get('next')).toBe('/apps/new')
    await page.getByText('Your session ended.').waitFor()
    await shot('session-ended')
    await signInAsAdmin()
    await page.waitForURL('**/apps/new')
    await expect.poll(() => page.getByLabel('Slug').inputValue()).toBe('kept-app')
    expect(await page.getByLabel('Name').inputValue()).toBe('Kept across sign-in')
    expect(await page.getByLabel('e2e-mock').isChecked()).toBe(true)
    await shot('form-restored')
    await page.getByRole('button', { name: 'Create app' }).click()
    await page.getByRole('heading', { name: 'Kept across sign-in' }).waitFor()
  })

  it('signs out from the sidebar, forgetting drafts', async () => {
    await page.goto('/apps/new')
    await page.getByLabel('Slug').fill('left-behind')
    await page.getByRole('button', { name: 'Sign out' }).click()
    // A sign-out is no lost session: sign-in may offer to come back here, but never says the session expired.
    await page.waitForURL((url) => url.pathname === '/sign-in')
    expect(new URL(page.url()).searchParams.get('expired')).toBeNull()
    expect(await page.evaluate("Object.keys(sessionStorage).filter((key) => key.startsWith('pb-draft:'))")).toEqual([])
    expect((await context.cookies()).find((cookie) => cookie.name === 'pb_session')).toBeUndefined()
    await shot('signed-out')
  })
})
