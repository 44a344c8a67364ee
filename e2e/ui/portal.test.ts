import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi } from './admin-api.js'
import { launchChromium, newPage, runBrowserTests, screenshots, signIn } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

const ADMIN = { email: 'admin@e2e.example', password: 'e2e correct horse battery' }
const PORTAL = { email: 'portal@e2e.example', password: 'e2e portal user password' }

describe.skipIf(!runBrowserTests)('the portal in a browser, for a portal user, against plugboard up', { timeout: 60_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  let page: Page
  let key = ''
  const screenshot = screenshots('portal-')
  const shot = (name: string) => screenshot(page, name)

  const chat = () =>
    fetch(`${platform.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'portal-model', messages: [{ role: 'user', content: 'hello' }] }),
    })

  beforeAll(async () => {
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    const admin = await adminApi(platform.url, ADMIN)
    await admin('POST', '/llms', { slug: 'portal-mock', vendor: 'mock', models: ['portal-model'] })
    await admin('POST', '/llms', { slug: 'not-granted', vendor: 'mock', models: ['other-model'] })
    const user = await admin<{ id: string }>('POST', '/users', { email: PORTAL.email, role: 'portal', password: PORTAL.password })
    const group = await admin<{ id: string }>('POST', '/groups', { name: 'Portal users' })
    await admin('PUT', `/groups/${group.id}/members`, { userIds: [user.id] })
    await admin('PUT', `/groups/${group.id}/grants`, { llms: ['portal-mock'] })
    page = await newPage(browser, platform.url)
  })
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
  })

  it('signs a portal user in to the portal, not the admin pages, showing only the LLMs their groups are granted', async () => {
    await page.goto('/')
    await page.waitForURL('**/sign-in')
    await signIn(page, PORTAL.email, PORTAL.password)
    await page.waitForURL('**/portal/apps')
    await page.getByRole('heading', { name: 'My apps' }).waitFor()
    const sections = page.getByRole('navigation', { name: 'Sections' })
    expect(await sections.getByRole('link').allTextContents()).toEqual(['My apps', 'My LLMs', 'Usage & budget', 'Chat'])
    await shot('my-apps-empty')
    await sections.getByRole('link', { name: 'My LLMs' }).click()
    await page.getByRole('cell', { name: 'portal-model' }).waitFor()
    expect(await page.getByText('not-granted').count()).toBe(0)
    await shot('my-llms')
  })

  it('creates an app with a granted LLM, issues a key shown once, copies it, and the gateway serves it', async () => {
    await page.getByRole('link', { name: 'My apps' }).click()
    await page.getByRole('link', { name: 'New app' }).click()
    await page.getByLabel('Slug').fill('portal-app')
    await page.getByLabel('Name').fill('Portal app')
    expect(await page.getByLabel('not-granted').count()).toBe(0)
    await page.getByLabel('portal-mock').check()
    await page.getByRole('button', { name: 'Create app' }).click()
    await page.getByRole('heading', { name: 'Portal app' }).waitFor()
    expect(new URL(page.url()).pathname).toMatch(/^\/portal\/apps\//)
    await page.getByRole('button', { name: 'Issue key' }).click()
    key = (await page.locator('.secret code').textContent())!
    expect(key).toMatch(/^pb-/)
    await page.getByRole('button', { name: 'Copy' }).click()
    await page.getByRole('button', { name: 'Copied' }).waitFor()
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key)
    await shot('key-issued')

    const served = await chat()
    expect(served.status).toBe(200)
    expect(((await served.json()) as { object: string }).object).toBe('chat.completion')
    await page.getByRole('button', { name: 'Done' }).click()
    expect(await page.getByText(key).count()).toBe(0)
  })

  it('shows the request in usage this month, and the budget on the app with when it resets', async () => {
    const admin = await adminApi(platform.url, ADMIN)
    await admin('POST', '/budgets', { appId: 'portal-app', limitUsd: 5, period: 'monthly' })
    await page.getByRole('link', { name: 'Usage & budget' }).click()
    const usage = page.getByRole('table', { name: 'Usage this month' })
    // The gateway's request log reaches the database a moment after the answer.
    await expect
      .poll(
        async () => {
          await page.reload()
          await page.getByRole('heading', { name: 'Usage & budget' }).waitFor()
          return (await usage.count()) > 0 ? usage.getByRole('row', { name: /portal-app/ }).textContent() : ''
        },
        { timeout: 15_000, interval: 500 },
      )
      .toMatch(/^portal-app1/)
    const budgets = page.getByRole('table', { name: 'Budgets' })
    expect(await budgets.getByRole('row', { name: /Portal app/ }).textContent()).toMatch(/\$5\.00.*monthly.*resets on /)
    await shot('usage-and-budget')
  })

  it('revokes the key, after which the gateway refuses it', async () => {
    await page.getByRole('link', { name: 'My apps' }).click()
    await page.getByRole('link', { name: 'Portal app' }).click()
    await page.getByRole('button', { name: /^Revoke key/ }).click()
    await page.getByRole('button', { name: 'Yes, revoke' }).click()
    await page.getByRole('cell', { name: 'revoked' }).waitFor()
    await shot('key-revoked')
    expect((await chat()).status).toBe(401)
  })

  it('answers an admin URL with a not-allowed page that leads back to the portal', async () => {
    await page.goto('/llms')
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor()
    expect(await page.getByRole('navigation', { name: 'Sections' }).count()).toBe(0)
    await shot('admin-url-not-allowed')
    await page.getByRole('link', { name: 'Go to your portal' }).click()
    await page.waitForURL('**/portal/apps')
    await page.getByRole('link', { name: 'Portal app' }).waitFor()
  })

  it('still lets an admin open the admin pages, and the portal (their own apps)', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL('**/sign-in')
    await signIn(page, ADMIN.email, ADMIN.password)
    await page.waitForURL('**/llms')
    await page.getByRole('cell', { name: 'not-granted' }).first().waitFor()
    await page.goto('/apps')
    await page.getByRole('link', { name: 'Portal app' }).waitFor()
    await page.goto('/portal/apps')
    await page.getByRole('heading', { name: 'My apps' }).waitFor()
    await page.getByText('No apps yet.').waitFor()
    await shot('admin-in-portal')
  })
})
