import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi } from './admin-api.js'
import { launchChromium, newPage, runBrowserTests, screenshots, signIn } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

// Plugin portal pages in the portal, against plugboard up: the feedback plugin's page for the
// "Customers" group, its feedback listed on the admin's dashboard page, a portal user outside
// the group who neither sees the page nor may call its RPC, and a portal page that throws.

const ADMIN = { email: 'admin@e2e-portal-plugins.example', password: 'e2e portal plugins battery' }
const CUSTOMER = { email: 'customer@e2e-portal-plugins.example', password: 'e2e customer password 1' }
const OUTSIDER = { email: 'outsider@e2e-portal-plugins.example', password: 'e2e outsider password 1' }
const feedbackPlugin = fileURLToPath(new URL('../../examples/plugins/portal-feedback', import.meta.url))
const hostilePlugin = fileURLToPath(new URL('./fixtures/hostile-ui-plugin', import.meta.url))
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script> Great portal!'

/** A POST from the page itself, as a plugin's component would send it: the session cookie goes along, the CSRF token from its cookie. */
function postFromPage(page: Page, path: string, body: unknown): Promise<{ status: number; code: string | undefined }> {
  return page.evaluate(`(async () => {
    const csrf = decodeURIComponent((document.cookie.split('; ').find((part) => part.startsWith('pb_csrf=')) ?? '').slice('pb_csrf='.length))
    const response = await fetch(${JSON.stringify(path)}, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: ${JSON.stringify(JSON.stringify(body))},
    })
    return { status: response.status, code: (await response.json()).error?.code }
  })()`) as Promise<{ status: number; code: string | undefined }>
}

describe.skipIf(!runBrowserTests)('plugin portal pages, against plugboard up', { timeout: 90_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  const screenshot = screenshots('portal-plugins-')
  const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Sections' })
  /** A new browser context signed in as `user`, landed on `home`. */
  const signedIn = async (user: { email: string; password: string }, home: string) => {
    const page = await newPage(browser, platform.url)
    await page.goto('/')
    await page.waitForURL('**/sign-in')
    await signIn(page, user.email, user.password)
    await page.waitForURL(`**${home}`)
    return page
  }

  beforeAll(async () => {
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    const api = await adminApi(platform.url, ADMIN)
    await api('POST', '/plugins', { source: `file://${feedbackPlugin}` })
    await api('POST', '/plugins/portal-feedback/scopes', { scope: 'kv.readwrite' })
    await api('POST', '/plugins/portal-feedback/enable')
    await api('POST', '/plugins', { source: `file://${hostilePlugin}` })
    await api('POST', '/plugins/hostile-ui/enable')
    const customer = await api<{ id: string }>('POST', '/users', { ...CUSTOMER, role: 'portal' })
    await api('POST', '/users', { ...OUTSIDER, role: 'portal' })
    const group = await api<{ id: string }>('POST', '/groups', { name: 'Customers' })
    await api('PUT', `/groups/${group.id}/members`, { userIds: [customer.id] })
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
  })

  it('lets a customer open the feedback page from the portal sidebar and send feedback, confirmed on the page', async () => {
    const page = await signedIn(CUSTOMER, '/portal/apps')
    const section = sidebar(page).getByRole('region', { name: 'Feedback' })
    await section.getByRole('link', { name: 'Send feedback' }).click()
    await page.waitForURL('**/portal/x/portal-feedback')
    await page.getByRole('heading', { name: 'Send feedback' }).waitFor()
    await screenshot(page, 'customer-feedback-page')

    await page.getByLabel('Rating').selectOption({ label: '4 — very good' })
    await page.getByLabel('Message').fill(XSS)
    await screenshot(page, 'customer-feedback-filled')
    await page.getByRole('button', { name: 'Send feedback' }).click()
    await page.getByText('Thank you: your feedback was sent').waitFor()
    expect(await page.getByLabel('Message').inputValue()).toBe('')
    await screenshot(page, 'customer-feedback-sent')

    // From the page's own context, with its session and CSRF token: a method no portal page declares, and admin RPC.
    expect(await postFromPage(page, '/api/v1/me/plugins/portal-feedback/rpc/list', {})).toEqual({ status: 403, code: 'RPC_METHOD_NOT_DECLARED' })
    expect(await postFromPage(page, '/api/v1/plugins/portal-feedback/rpc/list', {})).toEqual({ status: 403, code: 'FORBIDDEN' })
    expect(await page.evaluate('window.__xss')).toBeUndefined()
    await page.context().close()
  })

  it("shows the feedback on the admin's dashboard page as text: the markup in the message does not run", async () => {
    const page = await signedIn(ADMIN, '/llms')
    await sidebar(page).getByRole('region', { name: 'Feedback' }).getByRole('link', { name: 'Feedback' }).click()
    await page.waitForURL('**/x/portal-feedback')
    const row = page.getByRole('table', { name: 'Feedback' }).getByRole('row', { name: new RegExp(CUSTOMER.email) })
    await row.waitFor()
    expect(await row.locator('td.feedback-message').textContent()).toBe(XSS)
    expect(await row.getByRole('cell', { name: '4 / 5' }).count()).toBe(1)
    expect(await page.locator('portal-feedback-list img, portal-feedback-list script').count()).toBe(0)
    expect(await page.evaluate('window.__xss')).toBeUndefined()
    await screenshot(page, 'admin-feedback-list')
    await page.context().close()
  })

  it("hides the page from a portal user outside its group, whose call to its RPC is refused with 403", async () => {
    const page = await signedIn(OUTSIDER, '/portal/apps')
    // The hostile plugin's page is open to every user; the feedback page is not listed.
    await sidebar(page).getByRole('link', { name: 'Broken page' }).waitFor()
    expect(await sidebar(page).getByRole('link').allTextContents()).toEqual(['My apps', 'My LLMs', 'Usage & budget', 'Chat', 'Broken page'])
    await screenshot(page, 'outsider-sidebar')
    await page.goto('/portal/x/portal-feedback')
    await page.getByRole('alert').filter({ hasText: 'No enabled plugin "portal-feedback" has a page at /portal/x/portal-feedback that you may see.' }).waitFor()
    expect(await page.locator('portal-feedback-form').count()).toBe(0)
    await screenshot(page, 'outsider-page-refused')
    expect(await postFromPage(page, '/api/v1/me/plugins/portal-feedback/rpc/submit', { rating: 5, message: 'let me in' })).toEqual({ status: 403, code: 'PORTAL_GROUP_REQUIRED' })
    expect(await postFromPage(page, '/api/v1/me/plugins/portal-feedback/rpc/export', {})).toEqual({ status: 403, code: 'RPC_METHOD_NOT_DECLARED' })
    await page.context().close()
  })

  it('shows an error panel in place of a portal page that throws, and the rest of the portal keeps working', async () => {
    const page = await signedIn(OUTSIDER, '/portal/apps')
    await sidebar(page).getByRole('region', { name: 'Hostile UI' }).getByRole('link', { name: 'Broken page' }).click()
    await page.waitForURL('**/portal/x/hostile-ui/throws')
    const panel = page.getByRole('alert', { name: 'Hostile UI failed' })
    await panel.waitFor()
    expect(await panel.textContent()).toContain('the hostile component broke on purpose')
    expect(await panel.textContent()).toContain('The rest of the portal keeps working')
    await screenshot(page, 'portal-page-throws')
    await sidebar(page).getByRole('link', { name: 'My apps' }).click()
    await page.getByRole('heading', { name: 'My apps' }).waitFor()
    await page.context().close()
  })
})
