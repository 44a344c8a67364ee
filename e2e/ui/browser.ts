import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

/** Debian's Chromium (`apt-get install -y chromium`); Playwright's own browser download is never used. */
export const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Where each step's screenshot goes (git-ignored). */
const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url))

// CI must run them: there a missing Chromium fails the launch instead of skipping.
export const runBrowserTests = existsSync(CHROMIUM) || Boolean(process.env.CI)
if (!runBrowserTests) console.warn(`skipping the browser UI tests: ${CHROMIUM} is missing (apt-get install -y chromium)`)

export function launchChromium(): Promise<Browser> {
  mkdirSync(artifacts, { recursive: true })
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS })
}

/** A page in a fresh context on the platform; the clipboard is granted so copy buttons can be checked. */
export async function newPage(browser: Browser, baseUrl: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseUrl })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl })
  return context.newPage()
}

/** Fills and sends the sign-in form the page shows; where it lands is the caller's to wait for. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/**
 * A new page signed in as `account` the way a person does it: the dashboard
 * sends them to sign-in, and they land on the LLMs. `prepare` runs first, for
 * listeners that must see the first load.
 */
export async function signedInPage(browser: Browser, baseUrl: string, account: { email: string; password: string }, prepare?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await newPage(browser, baseUrl)
  await prepare?.(page)
  await page.goto('/')
  await page.waitForURL('**/sign-in')
  await signIn(page, account.email, account.password)
  await page.waitForURL('**/llms')
  return page
}

/** Takes a test file's full-page screenshots, numbered in the order taken so the steps read in sequence: `<prefix>NN-<name>.png`. */
export function screenshots(prefix: string): (page: Page, name: string) => Promise<Buffer> {
  let step = 0
  return (page, name) => page.screenshot({ path: join(artifacts, `${prefix}${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true })
}
