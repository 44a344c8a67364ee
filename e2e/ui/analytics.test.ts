import { gzipSync } from 'node:zlib'
import { seedRequests } from '@plugboard/studio'
import { openDatabase } from '@plugboard/studio/database'
import { scratchPostgres } from '@plugboard/studio/testing'
import type { Browser, Page, Response } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi } from './admin-api.js'
import { launchChromium, runBrowserTests, screenshots, signedInPage } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

// The Analytics, request log and audit log pages against plugboard up, on a
// million seeded requests. They are written before the start into a scratch
// PostgreSQL database (127.0.0.1:5432, as Studio's tests use) that the
// platform then runs on: the embedded database takes 40 s to 150 s (on a
// loaded machine) for the million rows, PostgreSQL a few seconds.

const ADMIN = { email: 'admin@e2e-analytics.example', password: 'e2e analytics battery staple' }
const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR
const ROWS = 1_000_000
// The rows end an hour ago and span 30 days less two hours: all inside the pages' default range (the last 30 days).
const END = new Date(Math.floor(Date.now() / 1000) * 1000 - HOUR)
const SPAN = 30 * DAY - 2 * HOUR
const XSS_APP = '<img src=x onerror=window.__xss=1>'
/** The goal for a request-log page change (click → new rows on screen), at a million rows. */
const PAGE_CHANGE_MS = 200
/** How long a step that queries all million rows (the charts' sums, a filter's first page) may take on a loaded machine. */
const SLOW = { timeout: 30_000 }

/** The requests of app `seed-app-{app}` per UTC day, as seedRequests' formula places row i (1 = oldest). */
function seededPerDay(app: number): Map<string, number> {
  const days = new Map<string, number>()
  for (let i = app || 10; i <= ROWS; i += 10) {
    const day = new Date(END.getTime() - Math.floor(((ROWS - i) * SPAN) / ROWS)).toISOString().slice(0, 10)
    days.set(day, (days.get(day) ?? 0) + 1)
  }
  return days
}

/** The median and the worst of some timings. */
function summary(timings: number[]): { median: number; worst: number } {
  const sorted = [...timings].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)]!, worst: sorted.at(-1)! }
}

describe.skipIf(!runBrowserTests)('analytics, the request log and the audit log in a browser, at a million requests', { timeout: 60_000 }, () => {
  let platform: RunningPlatform
  let postgres: { url: string; drop: () => Promise<void> }
  let browser: Browser
  let page: Page
  const screenshot = screenshots('analytics-')
  const shot = (name: string) => screenshot(page, name)
  const alert = () => page.getByRole('alert')
  /** The inline error a filter field points at with aria-describedby. */
  const fieldError = async (label: string) => {
    const describedBy = await page.getByLabel(label, { exact: true }).getAttribute('aria-describedby')
    return describedBy ? page.locator(`[id="${describedBy}"]`).textContent() : undefined
  }
  const chart = (title: string) => page.locator('figure.chart').filter({ has: page.locator('figcaption', { hasText: title }) })

  beforeAll(async () => {
    const seed = async () => {
      postgres = await scratchPostgres('pb_e2e_analytics')
      const database = await openDatabase({ url: postgres.url })
      try {
        const started = Date.now()
        await seedRequests(database.db, ROWS, { end: END, spanMs: SPAN })
        console.log(`seeded ${ROWS.toLocaleString('en-US')} requests into PostgreSQL in ${((Date.now() - started) / 1000).toFixed(1)} s`)
        // One request of an app whose id is HTML, the oldest of all: it must show as text.
        await database.db
          .insertInto('requests')
          .values({ at: new Date(END.getTime() - SPAN - 1000), request_id: 'xss-1', api: 'chat.completions', app_id: XSS_APP, user_id: null, llm: 'mock', model: 'mock-gpt', status: 200, error_code: null, prompt_tokens: 1, completion_tokens: 1, cost: 0, latency_ms: 5, streamed: false, aborted: false })
          .execute()
      } finally {
        await database.close()
      }
    }
    ;[browser] = await Promise.all([launchChromium(), seed()])
    platform = await startPlatform(ADMIN, { env: { DATABASE_URL: postgres.url } })
    page = await signedInPage(browser, platform.url, ADMIN)
  }, 240_000)
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
    await postgres?.drop()
  })

  it('charts requests, tokens and cost per day by app, and latency, with the seeded figures; the chart library loads with this page only', async () => {
    const scripts = new Map<string, number>()
    const record = async (response: Response) => {
      if (response.request().resourceType() === 'script') scripts.set(response.url().split('/').at(-1)!, gzipSync(await response.body()).length)
    }
    const listener = (response: Response) => void record(response)
    page.on('response', listener)
    const started = Date.now()
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Analytics' }).click()
    await page.waitForURL('**/analytics')
    await chart('Requests per day').locator('canvas').waitFor(SLOW)
    console.log(`Analytics page at ${ROWS.toLocaleString('en-US')} rows: charts shown ${Date.now() - started} ms after the click`)
    page.off('response', listener)
    console.log(`the Analytics page's JavaScript: ${[...scripts].map(([name, size]) => `${name} ${(size / 1024).toFixed(1)} KB`).join(', ')} (gzipped)`)
    expect([...scripts.keys()].some((name) => name.startsWith('AnalyticsPage-'))).toBe(true)

    const totals = page.getByRole('definition')
    await expect.poll(() => totals.first().textContent(), SLOW).toBe((ROWS + 1).toLocaleString('en-US'))
    for (const title of ['Requests per day', 'Tokens per day (prompt + completion)', 'Cost per day (USD)', 'Latency per day (p50, p90, p99)']) await chart(title).locator('canvas').first().waitFor()

    // Hover the middle of the requests chart: its legend shows that day and each app's figure.
    const requests = chart('Requests per day')
    await requests.locator('.u-over').hover()
    const legend = requests.locator('.u-legend')
    const valueOf = (label: string) => legend.locator('tr', { has: page.locator('.u-label', { hasText: label }) }).locator('.u-value')
    await expect.poll(() => valueOf('Day').textContent()).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    const day = (await valueOf('Day').textContent())!
    const expected = seededPerDay(3).get(day)
    expect(expected, day).toBeGreaterThan(0)
    expect(await valueOf('seed-app-3').textContent()).toBe(expected!.toLocaleString('en-US'))
    console.log(`the requests chart on ${day}: seed-app-3 ${expected} requests, as seeded`)
    const latency = chart('Latency per day')
    await latency.locator('.u-over').hover()
    await expect.poll(() => latency.locator('.u-legend .u-value').nth(1).textContent()).toMatch(/^[\d,]+ ms$/)
    await shot('charts')

    // Lines per LLM instead of per app.
    await page.getByLabel('Lines per').selectOption('llm')
    await page.getByRole('button', { name: 'Apply' }).click()
    await expect.poll(() => chart('Requests per day').locator('.u-legend .u-label').allTextContents(), SLOW).toEqual(expect.arrayContaining(['openai', 'anthropic', 'mock']))
    await shot('charts-per-llm')
    expect(await page.evaluate('window.__xss')).toBeUndefined()
  })

  it('shows the API’s message for a bad filter', async () => {
    await page.getByLabel('From', { exact: true }).fill('2026-03-02T00:00')
    await page.getByLabel('To', { exact: true }).fill('2026-03-01T00:00')
    await page.getByRole('button', { name: 'Apply' }).click()
    await expect.poll(() => alert().textContent(), SLOW).toBe('`from` is after `to`')
    expect(await fieldError('From')).toBe('must not be after to')
    await shot('bad-filter')
  })

  it('pages through the request log by keyset, a page change under 200 ms at a million rows', async () => {
    await page.getByRole('link', { name: 'Request log' }).click()
    await page.waitForURL('**/analytics/requests')
    const table = page.getByRole('table', { name: 'Requests' })
    await expect.poll(() => table.locator('tbody tr').first().locator('code').textContent(), SLOW).toBe(`seed-${ROWS}`)
    await shot('request-log')

    // Click → the new first row in the DOM → the next frame: what a person waits for.
    const change = (button: 'Next' | 'Previous') =>
      page.evaluate(`new Promise((resolve) => {
        const firstRow = () => document.querySelector('table[aria-label="Requests"] tbody tr')
        const before = firstRow()
        const button = [...document.querySelectorAll('nav[aria-label="Request log pages"] button')].find((b) => b.textContent.includes('${button}'))
        const start = performance.now()
        const observer = new MutationObserver(() => {
          const row = firstRow()
          if (row && row !== before && !button.disabled) {
            observer.disconnect()
            const call = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/analytics/requests')).at(-1)
            requestAnimationFrame(() => setTimeout(() => resolve({ total: performance.now() - start, api: call.responseEnd - call.startTime })))
          }
        })
        observer.observe(document.querySelector('main'), { childList: true, subtree: true, attributes: true })
        button.click()
      })`) as Promise<{ total: number; api: number }>
    const timings: number[] = []
    const apiTimings: number[] = []
    const measure = async (button: 'Next' | 'Previous', into: number[]) => {
      const { total, api } = await change(button)
      into.push(total)
      apiTimings.push(api)
    }
    for (let i = 0; i < 10; i++) await measure('Next', timings)
    await expect.poll(() => page.getByText('Page 11', { exact: true }).count()).toBe(1)
    expect(await table.locator('tbody tr').first().locator('code').textContent()).toBe(`seed-${ROWS - 10 * 50}`)
    for (let i = 0; i < 3; i++) await measure('Previous', timings)
    expect(await table.locator('tbody tr').first().locator('code').textContent()).toBe(`seed-${ROWS - 7 * 50}`)
    await shot('request-log-page-8')

    // Filtered (an app and a status, each served by its index) and 200 rows a page.
    await page.getByLabel('App', { exact: true }).fill('seed-app-3')
    await page.getByLabel('Status', { exact: true }).fill('200')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.getByLabel('Rows per page').selectOption('200')
    await expect.poll(() => table.locator('tbody tr').count(), SLOW).toBe(200)
    await expect.poll(() => page.getByText('Page 1', { exact: true }).count()).toBe(1)
    const filtered: number[] = []
    for (let i = 0; i < 5; i++) await measure('Next', filtered)
    const apps = await table.locator('tbody tr td:nth-child(2)').allTextContents()
    expect(new Set(apps)).toEqual(new Set(['seed-app-3']))
    await shot('request-log-filtered')

    const all = summary(timings)
    const wide = summary(filtered)
    console.log(`request log page changes at ${ROWS.toLocaleString('en-US')} rows (click → new rows painted): 50 a page, ${timings.length} changes: median ${all.median.toFixed(0)} ms, worst ${all.worst.toFixed(0)} ms [${timings.map((t) => t.toFixed(0)).join(', ')}]`)
    console.log(`filtered (app + status), 200 a page, ${filtered.length} changes: median ${wide.median.toFixed(0)} ms, worst ${wide.worst.toFixed(0)} ms [${filtered.map((t) => t.toFixed(0)).join(', ')}]`)
    const api = summary(apiTimings)
    console.log(`of which the API call (fetch start → response end): median ${api.median.toFixed(0)} ms, worst ${api.worst.toFixed(0)} ms`)
    // Every change of the default page (50 rows). 200 rows take the browser longer to lay out
    // (the API call is the same): their figures are printed, and a stall fails.
    expect(all.worst).toBeLessThan(PAGE_CHANGE_MS)
    expect(wide.worst).toBeLessThan(5 * PAGE_CHANGE_MS)
  })

  it('shows an app whose id is HTML as text, and a status that is no number with the API’s message', async () => {
    await page.getByLabel('App', { exact: true }).fill(XSS_APP)
    await page.getByLabel('Status', { exact: true }).fill('')
    await page.getByRole('button', { name: 'Apply' }).click()
    const table = page.getByRole('table', { name: 'Requests' })
    await expect.poll(() => table.locator('tbody tr td:nth-child(2)').allTextContents(), SLOW).toEqual([XSS_APP])
    expect(await page.evaluate('window.__xss')).toBeUndefined()
    await page.getByLabel('Status', { exact: true }).fill('abc')
    await page.getByRole('button', { name: 'Apply' }).click()
    await expect.poll(() => alert().textContent(), SLOW).toBe('the query does not fit the schema')
    expect(await fieldError('Status')).toBe('must be integer')
    expect(await page.locator('.filters .field-error').count()).toBe(1)
    await shot('request-log-bad-status')
  })

  it('lists an admin write in the audit log: who, action, object and its details', async () => {
    const api = await adminApi(platform.url, ADMIN)
    const llm = await api<{ id: string }>('POST', '/llms', { slug: 'audited-llm', vendor: 'mock', models: ['mock-gpt'] })
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit log' }).click()
    await page.waitForURL('**/audit')
    await page.getByLabel('Action').fill('create')
    await page.getByLabel('Object type').fill('llm')
    await page.getByRole('button', { name: 'Apply' }).click()
    const rows = page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(1)
    const cells = await rows.first().locator('td').allTextContents()
    expect(cells.slice(1, 4)).toEqual([`${ADMIN.email} (user)`, 'create', `llm ${llm.id}`])
    await rows.first().locator('summary').click()
    expect(await rows.first().getByLabel('After').textContent()).toContain('"slug": "audited-llm"')
    await shot('audit-log')
  })
})
