import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi, type AdminApi } from './admin-api.js'
import { launchChromium, runBrowserTests, screenshots, signedInPage, signIn } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

const ADMIN = { email: 'admin@e2e.example', password: 'e2e correct horse battery' }
const USER = { email: 'dir-user@e2e.example', name: 'Directory user', password: 'e2e directory user pw' }
const XSS = '<img src=x onerror=window.__xss=1>'

describe.skipIf(!runBrowserTests)('users, groups, prices, budgets and editing in the dashboard, against plugboard up', { timeout: 60_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  let page: Page
  let admin: AdminApi
  let app: { id: string; slug: string }
  const screenshot = screenshots('directory-')
  const shot = (name: string) => screenshot(page, name)
  const sidebar = (name: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true })

  beforeAll(async () => {
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    admin = await adminApi(platform.url, ADMIN)
    await admin('POST', '/llms', { slug: 'dir-mock', vendor: 'mock', models: ['dir-model'] })
    app = await admin<{ id: string; slug: string }>('POST', '/apps', { slug: 'dir-app', name: 'Directory app', allowedLlms: ['dir-mock'] })
    page = await signedInPage(browser, platform.url, ADMIN)
  })
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
  })

  it('creates a portal user with a password', async () => {
    await sidebar('Users').click()
    await page.getByRole('link', { name: 'New user' }).click()
    await page.getByLabel('Email').fill(USER.email)
    await page.getByLabel('Name').fill(USER.name)
    await page.getByLabel('Role').selectOption('portal')
    await page.getByLabel('Password').fill(USER.password)
    await page.getByRole('button', { name: 'Create user' }).click()
    await page.getByRole('heading', { name: USER.email }).waitFor()
    await shot('user-created')
    await sidebar('Users').click()
    await page.getByRole('link', { name: USER.email }).waitFor()
    expect(await page.getByRole('row', { name: new RegExp(USER.email) }).textContent()).toContain('portal')
    await shot('users-list')
  })

  it('creates a group with the user as a member and an LLM they may use, and the user page shows the membership', async () => {
    await sidebar('Groups').click()
    await page.getByRole('link', { name: 'New group' }).click()
    await page.getByLabel('Name').fill('Researchers')
    await page.getByLabel('Description').fill('People who may call dir-mock')
    await page.getByLabel(USER.email, { exact: true }).check()
    await page.getByLabel('dir-mock', { exact: true }).check()
    await page.getByRole('button', { name: 'Create group' }).click()
    await page.waitForURL('**/groups')
    const row = page.getByRole('row', { name: /Researchers/ })
    await expect.poll(() => row.textContent()).toContain(USER.email)
    expect(await row.textContent()).toContain('dir-mock')
    await shot('group-created')

    // The grant reaches Studio: the user, signed in to the portal, is granted the LLM.
    const groups = await admin<{ items: { id: string; name: string; members: { email: string }[]; grants: { llms: string[] } }[] }>('GET', '/groups')
    const researchers = groups.items.find((group) => group.name === 'Researchers')!
    expect(researchers).toMatchObject({ members: [{ email: USER.email }], grants: { llms: ['dir-mock'] } })
    // Made in one write, so a failure could not have left a group without its members.
    const writes = await admin<{ items: { action: string }[] }>('GET', `/audit?objectType=group&objectId=${researchers.id}`)
    expect(writes.items.map((entry) => entry.action)).toEqual(['create'])

    await sidebar('Users').click()
    await page.getByRole('link', { name: USER.email }).click()
    const membership = page.getByRole('region', { name: 'Groups' }).getByLabel('Researchers')
    await membership.waitFor()
    expect(await membership.isChecked()).toBe(true)
    await shot('user-groups')
  })

  it('disables the user from their page, which Studio then refuses to sign in', async () => {
    await page.getByLabel(/^Disabled/).check()
    await page.getByRole('button', { name: 'Save user' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
    expect(await page.getByLabel(/^Disabled/).isChecked()).toBe(true)
    const login = await fetch(`${platform.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: USER.email, password: USER.password }) })
    expect(login.status).toBe(401)
    await sidebar('Users').click()
    await expect.poll(() => page.getByRole('row', { name: new RegExp(USER.email) }).textContent()).toContain('disabled')
    await shot('user-disabled')
  })

  it('shows a group name that is markup as text, running none of it', async () => {
    await page.goto('/groups/new')
    await page.getByLabel('Name').fill(XSS)
    await page.getByLabel('Description').fill(XSS)
    await page.getByRole('button', { name: 'Create group' }).click()
    await page.waitForURL('**/groups')
    await page.getByRole('link', { name: XSS }).waitFor()
    expect(await page.getByRole('link', { name: XSS }).textContent()).toBe(XSS)
    expect(await page.locator('main img').count()).toBe(0)
    await page.getByRole('link', { name: XSS }).click()
    await page.getByRole('heading', { name: XSS }).waitFor()
    expect(await page.locator('main img').count()).toBe(0)
    expect(await page.evaluate('window.__xss')).toBeUndefined()
    await shot('group-xss-as-text')
  })

  it('writes once when a form is submitted twice before it re-renders (Enter pressed twice)', async () => {
    await page.goto('/groups/new')
    await page.getByLabel('Name').fill('Submitted twice')
    const creates: string[] = []
    const count = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/groups') creates.push(request.url())
    }
    page.on('request', count)
    await page.evaluate(`{
      const form = document.querySelector('main form')
      form.requestSubmit()
      form.requestSubmit()
    }`)
    await page.waitForURL('**/groups')
    await page.getByRole('link', { name: 'Submitted twice' }).waitFor()
    page.off('request', count)
    expect(creates).toHaveLength(1)
  })

  it("hands a user's app to no owner on the app's edit form, after which the user, refused before, is deleted", async () => {
    const owner = await admin<{ id: string }>('POST', '/users', { email: 'owner@e2e.example', role: 'portal', password: 'e2e owner password' })
    const owned = await admin<{ id: string }>('POST', '/apps', { slug: 'owned-app', ownerId: owner.id })
    await page.goto(`/users/${owner.id}`)
    const deleteUser = async () => {
      await page.getByRole('button', { name: 'Delete user' }).click()
      await page.getByRole('button', { name: 'Yes, delete' }).click()
    }
    await deleteUser()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('owns apps (owned-app)')
    await shot('user-owns-apps')

    await page.goto(`/apps/${owned.id}/edit`)
    const ownerSelect = page.getByLabel('Owner')
    await expect.poll(() => ownerSelect.inputValue()).toBe(owner.id)
    expect(await ownerSelect.locator('option:checked').textContent()).toBe('owner@e2e.example')
    await ownerSelect.selectOption({ label: 'No owner' })
    await page.getByRole('button', { name: 'Save app' }).click()
    await page.waitForURL(`**/apps/${owned.id}`)
    expect((await admin<{ ownerId: string | null }>('GET', `/apps/${owned.id}`)).ownerId).toBeNull()

    await page.goto(`/users/${owner.id}`)
    await deleteUser()
    await page.waitForURL((url) => url.pathname === '/users')
    await admin('DELETE', `/apps/${owned.id}`)
  })

  it('asks for a blank model and prices under their fields, sending nothing', async () => {
    await sidebar('Prices').click()
    const writes: string[] = []
    const record = (request: import('playwright-core').Request) => void (request.method() === 'PUT' && writes.push(request.url()))
    page.on('request', record)
    await page.getByLabel('Input (USD per million tokens)').fill('1')
    await page.getByRole('button', { name: 'Save price' }).click()
    await expect.poll(() => page.locator('#field-model-error').textContent()).toBe('required')
    expect(await page.locator('#field-output-error').textContent()).toBe('required')
    expect(await page.locator('#field-input-error').count()).toBe(0)
    expect(await page.getByRole('alert').count()).toBe(0)
    await shot('price-blank')
    page.off('request', record)
    expect(writes).toEqual([])
    await page.getByLabel('Input (USD per million tokens)').fill('')
  })

  it('sets a model price, changes it, and shows the API’s message for a price it refuses', async () => {
    await page.getByLabel('Model').fill('dir-model')
    await page.getByLabel('Input (USD per million tokens)').fill('-1')
    await page.getByLabel('Output (USD per million tokens)').fill('3')
    await page.getByRole('button', { name: 'Save price' }).click()
    await expect.poll(() => page.locator('#field-input-error').textContent()).toMatch(/>= 0/)
    await shot('price-refused')
    await page.getByLabel('Input (USD per million tokens)').fill('1.5')
    await page.getByRole('button', { name: 'Save price' }).click()
    const row = page.getByRole('row', { name: /dir-model/ })
    await expect.poll(() => row.textContent()).toContain('$1.5')
    await shot('price-set')

    await page.getByRole('button', { name: 'Edit the price of dir-model' }).click()
    expect(await page.getByLabel('Input (USD per million tokens)').inputValue()).toBe('1.5')
    await page.getByLabel('Output (USD per million tokens)').fill('4.25')
    await page.getByRole('button', { name: 'Save price' }).click()
    await expect.poll(() => row.textContent()).toContain('$4.25')
    expect(await admin('GET', '/model-prices/dir-model')).toMatchObject({ input: 1.5, output: 4.25, version: 2 })
    await shot('price-changed')
  })

  it('creates a monthly budget for the app and lists it with what was spent and when it resets', async () => {
    await sidebar('Budgets').click()
    await page.getByRole('link', { name: 'New budget' }).click()
    await page.getByLabel('Limits', { exact: true }).selectOption('app')
    await page.getByLabel('App', { exact: true }).selectOption({ label: 'dir-app' })
    await page.getByLabel('Limit (USD per period)').fill('25')
    await page.getByLabel('Period', { exact: true }).selectOption('monthly')
    await page.getByRole('button', { name: 'Create budget' }).click()
    await page.waitForURL('**/budgets')
    const row = page.getByRole('row', { name: /App dir-app/ })
    await row.waitFor()
    expect(await row.textContent()).toContain('$25')
    expect(await row.textContent()).toContain('$0')
    const now = new Date()
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString()
    expect(await row.locator('time').getAttribute('datetime')).toBe(nextMonth)
    await shot('budget-listed')

    await row.getByRole('link').click()
    expect(await page.getByLabel('This period').locator('time').last().getAttribute('datetime')).toBe(nextMonth)
    await page.getByLabel('Limit (USD per period)').fill('40')
    await page.getByRole('button', { name: 'Save budget' }).click()
    await page.waitForURL('**/budgets')
    await expect.poll(() => row.textContent()).toContain('$40')
    await shot('budget-edited')
  })

  it('edits an LLM in the form that creates one', async () => {
    await page.goto('/llms/dir-mock')
    await page.getByRole('link', { name: 'Edit' }).click()
    await page.waitForURL('**/llms/dir-mock/edit')
    expect(await page.getByLabel('Models').inputValue()).toBe('dir-model')
    expect(await page.getByLabel('Vendor').isDisabled()).toBe(true)
    await page.getByLabel('Name').fill('Directory mock')
    await page.getByLabel('Models').fill('dir-model, dir-model-2')
    await shot('llm-editing')
    await page.getByRole('button', { name: 'Save LLM' }).click()
    await page.getByRole('heading', { name: 'Directory mock' }).waitFor()
    expect(await page.getByText('dir-model, dir-model-2').count()).toBe(1)
    await shot('llm-edited')
  })

  it('shows a save over a change made behind the page’s back as a conflict, and reloads to the current version', async () => {
    await page.goto('/llms/dir-mock/edit')
    await page.getByLabel('Name').waitFor()
    // Someone else changes the LLM while the form is open.
    await admin('PATCH', '/llms/dir-mock', { description: 'changed elsewhere' })
    await page.getByLabel('Name').fill('My stale name')
    await page.getByRole('button', { name: 'Save LLM' }).click()
    const conflict = page.getByRole('alert')
    await expect.poll(() => conflict.textContent()).toContain('was changed by someone else since you opened it')
    expect(await conflict.textContent()).toMatch(/version 3, not 2/)
    expect((await admin<{ name: string }>('GET', '/llms/dir-mock')).name).toBe('Directory mock')
    await shot('llm-conflict')

    await conflict.getByRole('button', { name: 'Reload' }).click()
    await expect.poll(() => page.getByLabel('Description').inputValue()).toBe('changed elsewhere')
    expect(await page.getByLabel('Name').inputValue()).toBe('Directory mock')
    expect(await page.getByRole('alert').count()).toBe(0)
    await page.getByLabel('Name').fill('Directory mock, again')
    await page.getByRole('button', { name: 'Save LLM' }).click()
    await page.getByRole('heading', { name: 'Directory mock, again' }).waitFor()
    await shot('llm-conflict-reloaded')
  })

  it('keeps an edit typed when the session ends, and saves it after signing in again', async () => {
    await page.goto(`/apps/${app.id}`)
    await page.getByRole('link', { name: 'Edit' }).click()
    await page.getByLabel('Name').fill('Directory app, renamed')
    await page.getByLabel('dir-mock').uncheck()
    await page.context().clearCookies({ name: 'pb_session' })
    await page.getByRole('button', { name: 'Save app' }).click()
    await page.waitForURL('**/sign-in?**')
    await signIn(page, ADMIN.email, ADMIN.password)
    await page.waitForURL(`**/apps/${app.id}/edit`)
    await expect.poll(() => page.getByLabel('Name').inputValue()).toBe('Directory app, renamed')
    expect(await page.getByLabel('dir-mock').isChecked()).toBe(false)
    await shot('app-edit-restored')
    await page.getByRole('button', { name: 'Save app' }).click()
    await page.getByRole('heading', { name: 'Directory app, renamed' }).waitFor()
    expect(await admin('GET', `/apps/${app.id}`)).toMatchObject({ name: 'Directory app, renamed', allowedLlms: [] })
    await shot('app-edited')
  })

  it('rotates an app key after a confirmation: a new key shown once, the old one revoked', async () => {
    await page.getByRole('button', { name: 'Issue key' }).click()
    const first = (await page.locator('.secret code').textContent())!
    await page.getByRole('button', { name: 'Done' }).click()
    await page.getByRole('button', { name: /^Rotate key/ }).click()
    const question = page.getByRole('group', { name: /^Rotate key .+\?$/ })
    await question.waitFor()
    await shot('app-key-rotate-confirm')
    expect(await page.getByRole('cell', { name: 'revoked' }).count()).toBe(0)
    await question.getByRole('button', { name: 'Yes, rotate' }).click()
    await expect.poll(() => page.locator('.secret code').textContent()).toMatch(/^pb-/)
    const second = (await page.locator('.secret code').textContent())!
    expect(second).not.toBe(first)
    await page.getByRole('cell', { name: 'revoked' }).waitFor()
    expect(await page.getByRole('cell', { name: 'active' }).count()).toBe(1)
    await shot('app-key-rotated')
  })

  it('revokes the key just shown after a confirmation, and no longer offers it to copy', async () => {
    await page.getByRole('button', { name: /^Revoke key/ }).click()
    await page.getByRole('group', { name: /^Revoke key .+\?$/ }).getByRole('button', { name: 'Yes, revoke' }).click()
    await expect.poll(() => page.getByRole('cell', { name: 'revoked' }).count()).toBe(2)
    expect(await page.getByRole('region', { name: 'New key' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Copy' }).count()).toBe(0)
    await shot('app-key-revoked')
  })

  it('deletes the app after a confirmation, and a model price', async () => {
    await page.getByRole('button', { name: 'Delete app' }).click()
    await page.getByText('This cannot be undone.').waitFor()
    await shot('app-delete-confirm')
    await page.getByRole('button', { name: 'Yes, delete' }).click()
    await page.waitForURL((url) => url.pathname === '/apps')
    await page.getByText('No apps yet.').waitFor()
    await shot('app-deleted')

    await sidebar('Prices').click()
    await page.getByRole('row', { name: /dir-model/ }).getByRole('button', { name: 'Delete price' }).click()
    await page.getByRole('button', { name: 'Yes, delete' }).click()
    await page.getByText('No model prices yet.').waitFor()
    await shot('price-deleted')
  })

  it('wraps long text without spaces (an LLM name, its description, a model) instead of widening the page at 1280 px', async () => {
    const word = (length: number) => 'NoSpace'.repeat(Math.ceil(length / 7)).slice(0, length)
    const model = word(200)
    await admin('POST', '/llms', { slug: 'long-mock', vendor: 'mock', name: word(200), description: word(2000), models: [model] })
    await admin('PUT', `/model-prices/${model}`, { input: 1, output: 2 })
    await page.setViewportSize({ width: 1280, height: 800 })
    // Page scripts as text: the tests typecheck without the DOM library.
    const fits = () => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')
    for (const [path, shown] of [
      ['/llms', page.getByRole('cell', { name: 'long-mock' })],
      ['/llms/long-mock', page.getByRole('link', { name: 'Edit' })],
      ['/prices', page.getByRole('button', { name: `Edit the price of ${model}` })],
      ['/chat', page.getByRole('option', { name: new RegExp(word(50)) })],
    ] as const) {
      await page.goto(path)
      await shown.waitFor({ state: 'attached' })
      await shot(`long-text-${path.split('/').join('-')}`)
      expect({ path, fits: await fits() }).toEqual({ path, fits: true })
    }
    // Buttons keep their words whole (no "E-d-i-t" squeezed down a narrow cell): their text is one line box.
    const oneLine = (button: Locator) =>
      button.evaluate((element) => {
        const text = element.ownerDocument.createRange()
        text.selectNodeContents(element)
        return text.getClientRects().length === 1
      })
    await page.goto('/prices')
    expect(await oneLine(page.getByRole('button', { name: `Edit the price of ${model}` }))).toBe(true)
    await page.goto('/llms/long-mock')
    const edit = page.getByRole('link', { name: 'Edit' })
    expect(await oneLine(edit)).toBe(true)
    expect(await edit.evaluate((element) => element.getBoundingClientRect().right <= element.ownerDocument.documentElement.clientWidth && element.scrollWidth <= element.clientWidth)).toBe(true)
  })
})
