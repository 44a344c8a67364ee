import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, newPage, runBrowserTests, screenshots, signIn } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

const ADMIN = { email: 'chat-admin@e2e.example', password: 'e2e chat correct horse' }
const XSS = '<img src=x onerror=window.__xss=1>'
const ECHO_AGENT = `file://${fileURLToPath(new URL('../../examples/plugins/echo-agent', import.meta.url))}`
/** The most time from the agent sending its first token to the token being in the page. */
const FIRST_TOKEN_BUDGET_MS = 100
/** Long enough (50 words, 15 ms apart) to be seen streaming. */
const FIRST_MESSAGE = `#stamp hello streaming plugboard world ${Array.from({ length: 45 }, (_, i) => `w${i}`).join(' ')}`

describe.skipIf(!runBrowserTests)('chat in a browser, against plugboard up with the echo agent', { timeout: 60_000 }, () => {
  let platform: RunningPlatform
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let conversationUrl = ''
  const screenshot = screenshots('chat-')
  const shot = (name: string) => screenshot(page, name)
  const assistant = () => page.locator('li.chat-message.assistant')
  const send = async (text: string) => {
    await page.getByLabel('Message').fill(text)
    await page.getByLabel('Message').press('Enter')
  }
  /** Waits until no reply streams any more (the Send button is back). */
  const replied = () => page.getByRole('button', { name: 'Send' }).waitFor()

  beforeAll(async () => {
    ;[platform, browser] = await Promise.all([startPlatform(ADMIN), launchChromium()])
    page = await newPage(browser, platform.url)
    context = page.context()
  })
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
  })

  it('signs in and installs the echo agent through the admin API with the session', async () => {
    await page.goto('/sign-in')
    await signIn(page, ADMIN.email, ADMIN.password)
    await page.waitForURL('**/llms')
    const csrf = (await context.cookies()).find((cookie) => cookie.name === 'pb_csrf')!.value
    const headers = { 'x-csrf-token': csrf }
    expect((await context.request.post('/api/v1/plugins', { data: { source: ECHO_AGENT, name: 'echo' }, headers })).status()).toBe(201)
    expect((await context.request.post('/api/v1/plugins/echo/enable', { headers })).status()).toBe(200)
    // The targets are held back: Send waits for them rather than saying none was picked.
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const targets = (url: URL) => url.pathname === '/api/v1/chat/targets'
    await page.route(targets, async (route) => {
      await held
      await route.continue()
    })
    await page.getByRole('link', { name: 'Chat' }).click()
    await page.waitForURL('**/chat')
    await page.getByLabel('Message').fill('too early')
    await page.getByLabel('Message').press('Enter')
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true)
    expect(await page.getByRole('alert').allTextContents()).toEqual([])
    release()
    await expect.poll(() => page.getByLabel('Chat with').locator('option').allTextContents()).toEqual(['Echo agent (agent)'])
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(false)
    await page.unroute(targets)
    await page.getByLabel('Message').fill('')
    await shot('empty')
  })

  it('streams the reply token by token into the page, the first token within 100 ms of the agent sending it', async () => {
    // Every text the reply shows while it streams, and when the agent's time stamp first appears (same machine clock).
    await page.evaluate(`(() => {
      window.__states = []
      window.__firstToken = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
          const reply = document.querySelector('li.chat-message.assistant[aria-busy="true"] .chat-text')
          if (!reply) return
          const text = reply.textContent
          if (window.__states.at(-1) !== text) window.__states.push(text)
          const stamp = /sent-at:(\\d+)/.exec(text)
          if (stamp && !window.__seen) { window.__seen = true; resolve({ stamp: Number(stamp[1]), seenAt: Date.now() }) }
        })
        observer.observe(document.body, { subtree: true, childList: true, characterData: true })
      })
    })()`)
    await send(FIRST_MESSAGE)
    const { stamp, seenAt } = (await page.evaluate('window.__firstToken')) as { stamp: number; seenAt: number }
    const latency = seenAt - stamp
    console.log(`chat: first token from the agent to the DOM in ${latency} ms (agent Date.now() ${stamp}, MutationObserver Date.now() ${seenAt})`)
    expect(latency).toBeGreaterThanOrEqual(0)
    expect(latency).toBeLessThan(FIRST_TOKEN_BUDGET_MS)
    await shot('streaming')
    expect(await assistant().last().getAttribute('aria-busy')).toBe('true')
    await replied()
    const final = await assistant().last().locator('.chat-text').textContent()
    expect(final).toMatch(/^sent-at:\d+ Echo: /)
    expect(final!.replace(/^sent-at:\d+ /, '')).toBe(`Echo: ${FIRST_MESSAGE}\n(I got 0 earlier messages in the history.)`)
    const states = (await page.evaluate('window.__states')) as string[]
    console.log(`chat: the reply showed ${states.length} successive texts while it streamed`)
    expect(states.length).toBeGreaterThanOrEqual(20)
    for (const [index, state] of states.entries()) if (index > 0) expect(state.startsWith(states[index - 1]!)).toBe(true)

    await page.getByText('Thinking', { exact: true }).click()
    await page.getByText(/the history holds 0 earlier messages/).waitFor()
    await page.waitForURL('**/chat/*')
    conversationUrl = page.url()
    await shot('replied-thinking-open')
  })

  it('reopens the conversation after a reload and from the list, and continues it with the history from Studio', async () => {
    await page.reload()
    await expect.poll(() => assistant().count()).toBe(1)
    expect(await page.locator('li.chat-message.user .chat-text').textContent()).toBe(FIRST_MESSAGE)
    await page.getByRole('button', { name: 'New conversation' }).click()
    await page.waitForURL(/\/chat$/)
    await expect.poll(() => assistant().count()).toBe(0)
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: '#stamp hello streaming plugboard world w0 w1' }).click()
    await page.waitForURL(conversationUrl)
    await expect.poll(() => assistant().count()).toBe(1)
    await shot('reopened')

    await send('and once more')
    await replied()
    await expect.poll(() => assistant().last().locator('.chat-text').textContent()).toBe('Echo: and once more\n(I got 2 earlier messages in the history.)')
    await shot('continued')
  })

  it('shows the error of an agent failing mid-stream and keeps the partial answer, also after a reload (#fail)', async () => {
    await send('one two three four #fail')
    await replied()
    const failed = assistant().last()
    await expect.poll(() => failed.getByRole('alert').textContent()).toBe('asked to fail (#fail) after 3 of 5 words ECHO_FAILED')
    expect(await failed.locator('.chat-text').textContent()).toBe('Echo: one two three ')
    await shot('agent-failed')
    await page.reload()
    await expect.poll(() => assistant().count()).toBe(3)
    expect(await assistant().last().getByRole('alert').textContent()).toContain('ECHO_FAILED')
    expect(await assistant().last().locator('.chat-text').textContent()).toBe('Echo: one two three ')
  })

  it('shows markup in chat content as text, running none of it', async () => {
    await send(XSS)
    await replied()
    await expect.poll(() => assistant().last().locator('.chat-text').textContent()).toBe(`Echo: ${XSS}\n(I got 6 earlier messages in the history.)`)
    expect(await page.locator('li.chat-message.user .chat-text').last().textContent()).toBe(XSS)
    expect(await page.locator('.chat-messages img').count()).toBe(0)
    expect(await page.evaluate('window.__xss')).toBeUndefined()
    await shot('xss-as-text')
  })

  it("gives a portal user the chat in the portal, with their own conversations only", async () => {
    const csrf = (await context.cookies()).find((cookie) => cookie.name === 'pb_csrf')!.value
    const portalUser = { email: 'chat-portal@e2e.example', password: 'e2e portal correct horse' }
    expect((await context.request.post('/api/v1/users', { data: { ...portalUser, role: 'portal' }, headers: { 'x-csrf-token': csrf } })).status()).toBe(201)
    const portalPage = await newPage(browser, platform.url)
    try {
      await portalPage.goto('/sign-in')
      await signIn(portalPage, portalUser.email, portalUser.password)
      await portalPage.waitForURL('**/portal/**')
      await portalPage.getByRole('link', { name: 'Chat' }).click()
      await portalPage.waitForURL('**/portal/chat')
      expect(await portalPage.getByRole('navigation', { name: 'Conversations' }).getByRole('link').count()).toBe(0)
      // Sent before the targets loaded, the message would only ask to pick an agent first.
      await expect.poll(() => portalPage.getByLabel('Chat with').locator('option').allTextContents()).toEqual(['Echo agent (agent)'])
      await portalPage.getByLabel('Message').fill('from the portal')
      await portalPage.getByLabel('Message').press('Enter')
      await portalPage.getByRole('button', { name: 'Send' }).waitFor()
      await expect.poll(() => portalPage.locator('li.chat-message.assistant .chat-text').textContent()).toBe('Echo: from the portal\n(I got 0 earlier messages in the history.)')
      await portalPage.waitForURL('**/portal/chat/*')
      await expect.poll(() => portalPage.getByRole('navigation', { name: 'Conversations' }).getByRole('link').allTextContents()).toEqual(['from the portal'])
      await screenshot(portalPage, 'portal')
    } finally {
      await portalPage.context().close()
    }
  })

  it('shows a tool call and its result (#tool)', async () => {
    await send('count these words #tool')
    await replied()
    const reply = assistant().last()
    await reply.getByText('Tool call count_words').waitFor()
    expect(await reply.locator('.tool pre').last().textContent()).toBe(JSON.stringify({ words: 4 }, null, 2))
    await shot('tool-call')
  })
})
