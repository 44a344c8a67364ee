import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi, type AdminApi } from './admin-api.js'
import { launchChromium, runBrowserTests, screenshots, signedInPage } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

// The Binding card of a plugin's page against plugboard up: an admin ticks the apps and LLMs a
// plugin runs for (and an agent's datasources and chat groups), sets its priority, failure policy
// and deadline, and sees what Studio refuses, references to deleted objects, and real conflicts.

const ADMIN = { email: 'admin@e2e-plugin-binding.example', password: 'e2e plugin binding battery staple' }
const plugin = (name: string) => `file://${fileURLToPath(new URL(`../../examples/plugins/${name}`, import.meta.url))}`

interface Binding {
  priority: number
  failurePolicy: string
  deadlineMs: number | null
  apps: string[]
  llms: string[]
  datasources: string[]
  chatGroups: string[]
}

describe.skipIf(!runBrowserTests)('the Binding card of a plugin’s page, against plugboard up', { timeout: 90_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  let page: Page
  let api: AdminApi
  const screenshot = screenshots('plugin-binding-')
  const shot = (name: string) => screenshot(page, name)
  const stored = async (name: string) => (await api<{ binding: Binding }>('GET', `/plugins/${name}`)).binding
  const card = () => page.getByRole('region', { name: 'Binding' })
  const box = (label: string) => card().getByRole('checkbox', { name: label, exact: true })
  const save = () => card().getByRole('button', { name: 'Save binding' })

  /** Saves and waits for Studio's answer (its last, after a retry) to be shown. */
  async function saveBinding() {
    const answered = page.waitForResponse((response) => response.request().method() === 'PATCH' && response.url().includes('/api/v1/plugins/'))
    await save().click()
    await answered
    await card().getByRole('button', { name: 'Saving…' }).waitFor({ state: 'detached' })
  }

  async function open(name: string) {
    await page.goto(`/installed-plugins/${name}`)
    await box('bind-app').waitFor()
  }

  beforeAll(async () => {
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    api = await adminApi(platform.url, ADMIN)
    await api('POST', '/llms', { slug: 'bind-llm', vendor: 'mock', models: ['bind-model'] })
    for (const slug of ['bind-app', 'doomed-app']) await api('POST', '/apps', { slug, name: slug })
    await api('POST', '/datasources', { slug: 'bind-docs', name: 'Binding docs' })
    await api('POST', '/groups', { name: 'bind-team' })
    await api('POST', '/plugins', { source: plugin('response-headers'), name: 'headers' })
    await api('POST', '/plugins', { source: plugin('ip-allowlist'), name: 'allowlist' })
    await api('POST', '/plugins', { source: plugin('echo-agent'), name: 'echo' })
    page = await signedInPage(browser, platform.url, ADMIN)
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
  })

  it('saves the ticked app and LLM, priority, policy and deadline, saying so while it saves, and shows them after a reload', async () => {
    await open('headers')
    // Not an agent: nothing to give it with a chat message.
    for (const legend of ['Tools', 'Datasources', 'Chat groups']) expect(await card().getByRole('group', { name: legend }).count(), legend).toBe(0)
    await card().getByText('none ticked: every app').waitFor()
    await shot('unbound')

    await box('bind-app').check()
    await box('bind-llm').check()
    await card().getByLabel('Priority').fill('7')
    await card().getByLabel('Failure policy').selectOption('fail-closed')
    await card().getByLabel('Deadline (ms)').fill('1500')
    // Studio's answer waits until the button has been seen saving.
    let release = () => {}
    await page.route('**/api/v1/plugins/headers', async (route) => {
      if (route.request().method() === 'PATCH') await new Promise<void>((resolve) => (release = resolve))
      await route.continue()
    })
    await save().click()
    const saving = card().getByRole('button', { name: 'Saving…' })
    await saving.waitFor()
    expect(await saving.isDisabled()).toBe(true)
    await shot('saving')
    release()
    await saving.waitFor({ state: 'detached' })
    await page.unroute('**/api/v1/plugins/headers')
    expect(await stored('headers')).toMatchObject({ apps: ['bind-app'], llms: ['bind-llm'], priority: 7, failurePolicy: 'fail-closed', deadlineMs: 1500 })

    await page.reload()
    await box('bind-app').waitFor()
    expect(await box('bind-app').isChecked()).toBe(true)
    expect(await box('doomed-app').isChecked()).toBe(false)
    expect(await box('bind-llm').isChecked()).toBe(true)
    expect(await card().getByLabel('Priority').inputValue()).toBe('7')
    expect(await card().getByLabel('Failure policy').inputValue()).toBe('fail-closed')
    expect(await card().getByLabel('Deadline (ms)').inputValue()).toBe('1500')
    await shot('bound-after-reload')
  })

  it('clears the deadline back to the default when it is emptied', async () => {
    await card().getByLabel('Deadline (ms)').fill('')
    await saveBinding()
    await expect.poll(async () => (await stored('headers')).deadlineMs).toBeNull()
    expect(await card().getByLabel('Deadline (ms)').inputValue()).toBe('')
  })

  it('shows an out-of-range priority Studio refuses at the field', async () => {
    await open('allowlist')
    await card().getByLabel('Priority').fill('5000')
    await saveBinding()
    const inline = card().locator('.field-error')
    await inline.waitFor()
    expect(await inline.textContent()).toContain('must be <= 1000')
    expect(await card().getByRole('alert').textContent()).toContain('does not fit the schema')
    expect((await stored('allowlist')).priority).toBe(0)
    await shot('priority-refused')
  })

  it("shows Studio's refusal to limit a plugin with pre-auth hooks to an app, at the apps", async () => {
    await card().getByLabel('Priority').fill('0')
    await box('bind-app').check()
    await saveBinding()
    const alert = card().getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toContain('hooks run before the app is known, so they cannot be limited to apps or LLMs')
    expect(await card().getByRole('group', { name: 'Apps' }).locator('.field-error').textContent()).toBe('cannot limit hooks that run before authentication')
    expect((await stored('allowlist')).apps).toEqual([])
    await shot('pre-auth-refused')
    await box('bind-app').uncheck()
  })

  it('shows an app deleted since it was bound as ticked and "no longer exists", and saves it unticked', async () => {
    await api('PATCH', '/plugins/headers', { apps: ['bind-app', 'doomed-app'] })
    const doomed = (await api<{ items: { id: string; slug: string }[] }>('GET', '/apps?limit=200')).items.find((app) => app.slug === 'doomed-app')!
    await api('DELETE', `/apps/${doomed.id}`)
    await open('headers')
    const stale = box('doomed-app (no longer exists)')
    expect(await stale.isChecked()).toBe(true)
    expect(await box('doomed-app').count()).toBe(0)
    await shot('stale-app')
    await stale.uncheck()
    await saveBinding()
    expect((await stored('headers')).apps).toEqual(['bind-app'])
    expect(await box('doomed-app (no longer exists)').count()).toBe(0)
  })

  it('saves over a change of the plugin that left its binding alone, and shows a change of the binding as a conflict', async () => {
    await open('headers')
    await card().getByLabel('Priority').fill('8')
    // A new version of the plugin, its binding as it was: no conflict with this edit.
    await api('PATCH', '/plugins/headers', { serviceApiRateLimit: { callsPerSecond: 50 } })
    await saveBinding()
    await expect.poll(async () => (await stored('headers')).priority).toBe(8)
    expect(await card().getByRole('alert').count()).toBe(0)

    await card().getByLabel('Priority').fill('9')
    await api('PATCH', '/plugins/headers', { llms: [] })
    await saveBinding()
    const conflict = card().getByRole('alert')
    await expect.poll(() => conflict.textContent()).toContain('This binding was changed by someone else since you opened it')
    expect((await stored('headers')).priority).toBe(8)
    await shot('conflict')
    await conflict.getByRole('button', { name: 'Reload' }).click()
    await expect.poll(() => box('bind-llm').isChecked()).toBe(false)
    expect(await card().getByLabel('Priority').inputValue()).toBe('8')
    expect(await card().getByRole('alert').count()).toBe(0)
  })

  it('gives an agent datasources and chat groups besides its LLMs', async () => {
    await open('echo')
    for (const legend of ['Tools', 'Datasources', 'Chat groups']) await card().getByRole('group', { name: legend }).waitFor()
    await card().getByText('none ticked: every signed-in user').waitFor()
    await card().getByRole('group', { name: 'Tools' }).getByText('No tools yet.').waitFor()
    await box('bind-llm').check()
    await box('bind-docs').check()
    await box('bind-team').check()
    await shot('agent-binding')
    await saveBinding()
    await expect.poll(() => stored('echo')).toMatchObject({ llms: ['bind-llm'], datasources: ['bind-docs'], chatGroups: ['bind-team'] })
  })
})
