import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminApi, type AdminApi } from './admin-api.js'
import { launchChromium, runBrowserTests, screenshots, signedInPage } from './browser.js'
import { startPlatform, type RunningPlatform } from './plugboard-up.js'

// The Tools, Datasources and Schedules pages against plugboard up: a tool imported for a real
// HTTP server on loopback and tried, a document uploaded and searched, a plugin's schedule run now.

const ADMIN = { email: 'admin@e2e-tools-data.example', password: 'e2e tools data battery staple' }
const XSS = '<img src=x onerror=window.__xss=1>'
const heartbeatPlugin = fileURLToPath(new URL('../../examples/plugins/heartbeat-scheduler', import.meta.url))
const slowPlugin = fileURLToPath(new URL('./fixtures/slow-scheduler', import.meta.url))

/** A small real API: `GET /greetings/{name}?punctuation=` answers JSON naming who it greets. */
async function startGreetingServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const match = /^\/greetings\/([^/]+)$/.exec(url.pathname)
    if (request.method !== 'GET' || !match) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such greeting')
      return
    }
    const greeting = `Hello, ${decodeURIComponent(match[1]!)}${url.searchParams.get('punctuation') ?? '.'}`
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ greeting, served: 'by the e2e greeting server' }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
}

function greetingDocument(serverUrl: string): string {
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Greetings', version: '1' },
    servers: [{ url: serverUrl }],
    paths: {
      '/greetings/{name}': {
        get: {
          operationId: 'greet',
          summary: 'Greet someone by name',
          parameters: [
            { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'punctuation', in: 'query', schema: { type: 'string' } },
          ],
        },
      },
    },
  })
}

describe.skipIf(!runBrowserTests)('tools, datasources and schedules in the dashboard, against plugboard up', { timeout: 90_000 }, () => {
  let platform: RunningPlatform
  let api: AdminApi
  let greetings: { server: Server; url: string }
  let browser: Browser
  let page: Page
  const screenshot = screenshots('tools-data-')
  const shot = (name: string) => screenshot(page, name)
  const sidebar = () => page.getByRole('navigation', { name: 'Sections' })
  const noXssRan = async () => expect(await page.evaluate('window.__xss')).toBeUndefined()

  beforeAll(async () => {
    ;[platform, browser, greetings] = await Promise.all([startPlatform(ADMIN), launchChromium(), startGreetingServer()])
    api = await adminApi(platform.url, ADMIN)
    page = await signedInPage(browser, platform.url, ADMIN)
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
    greetings?.server.close()
  })

  it("shows the API's error for a document that is not OpenAPI 3, under the document's field", async () => {
    await sidebar().getByRole('link', { name: 'Tools' }).click()
    await page.getByText('No tools yet.').waitFor()
    await page.getByRole('link', { name: 'Import OpenAPI' }).click()
    await page.getByLabel('Slug').fill('greetings')
    await page.getByLabel('OpenAPI document', { exact: true }).fill('swagger: "2.0"\ninfo: {title: old, version: "1"}\npaths: {}\n')
    await page.getByRole('button', { name: 'Import' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('the OpenAPI document cannot be used: it is Swagger 2.0; convert it to OpenAPI 3 first')
    expect(await page.locator('#field-spec-error').textContent()).toBe('it is Swagger 2.0; convert it to OpenAPI 3 first')
    await shot('import-invalid-document')
  })

  it('imports a document read from a file, showing the operations found, with a hostile name and description as text', async () => {
    await page.getByLabel('Document file').setInputFiles({ name: 'greetings.json', mimeType: 'application/json', buffer: Buffer.from(greetingDocument(greetings.url)) })
    await expect.poll(() => page.getByLabel('OpenAPI document', { exact: true }).inputValue()).toContain('"operationId":"greet"')
    await page.getByLabel('Name', { exact: true }).fill(`Greetings ${XSS}`)
    await page.getByLabel('Description', { exact: true }).fill(`Says hello. ${XSS}`)
    await page.getByRole('button', { name: 'Import' }).click()
    await page.waitForURL('**/tools/greetings')
    await page.getByRole('status').getByText('Imported: 1 operation found in the document.').waitFor()
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Greetings ${XSS}`)
    expect(await page.locator('.description').textContent()).toBe(`Says hello. ${XSS}`)
    await page.getByRole('listitem', { name: 'greet' }).getByText('GET /greetings/{name}').waitFor()
    expect(await page.locator('main img, .page img').count()).toBe(0)
    await noXssRan()
    await shot('tool-imported')
  })

  it("tries an operation: progress while it runs, then the tool server's real status and body", async () => {
    await page.getByRole('button', { name: 'Try greet' }).click()
    const form = page.getByRole('form', { name: 'Try greet' })
    await form.getByRole('button', { name: 'Send request' }).click()
    await expect.poll(() => form.getByRole('alert').textContent()).toBe('the input does not fit operation greet')
    expect(await form.getByText('is required').textContent()).toBe('is required')
    await shot('try-missing-parameter')

    await form.getByLabel('name (path, required)').fill('Ada Lovelace')
    await form.getByLabel('punctuation (query)').fill('!')
    // Slowed down so the progress can be seen.
    await page.route('**/api/v1/tools/*/operations/*/execute', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 500))
      await route.continue()
    })
    await form.getByRole('button', { name: 'Send request' }).click()
    await form.getByRole('button', { name: 'Sending…' }).waitFor()
    await shot('try-sending')
    const answer = form.getByRole('region', { name: 'Response of greet' })
    await answer.waitFor()
    await page.unroute('**/api/v1/tools/*/operations/*/execute')
    expect(await answer.locator('strong').textContent()).toBe('200')
    expect(JSON.parse((await answer.locator('pre').textContent())!)).toEqual({ greeting: 'Hello, Ada Lovelace!', served: 'by the e2e greeting server' })
    await shot('try-answered')
  })

  it('lists the tool with its name as text, and deletes it after asking', async () => {
    await sidebar().getByRole('link', { name: 'Tools' }).click()
    const row = page.getByRole('row').filter({ hasText: 'greetings' })
    expect(await row.getByRole('cell').nth(1).textContent()).toBe(`Greetings ${XSS}`)
    await noXssRan()
    await shot('tools-list')
    await row.getByRole('button', { name: 'Delete tool greetings' }).click()
    await row.getByRole('button', { name: 'Yes, delete' }).click()
    await page.getByText('No tools yet.').waitFor()
    await shot('tool-deleted')
  })

  it('creates a datasource, uploads a text file with progress shown, and refuses one over the size limit with its message', async () => {
    await sidebar().getByRole('link', { name: 'Datasources' }).click()
    await page.getByText('No datasources yet.').waitFor()
    await page.getByRole('link', { name: 'New datasource' }).click()
    await page.getByLabel('Slug').fill('handbook')
    await page.getByLabel('Name', { exact: true }).fill('Staff handbook')
    await page.getByRole('button', { name: 'Create datasource' }).click()
    await page.waitForURL('**/datasources/handbook')
    await page.getByText('No documents yet.').waitFor()
    await shot('datasource-created')

    const text = `# Travel\n\nThe aurora expedition leaves from Tromsø every winter; book it through the travel desk.\n\n# Oddities\n\nSomeone wrote ${XSS} into the wiki.\n`
    await page.getByLabel('Document', { exact: true }).setInputFiles({ name: 'handbook.md', mimeType: 'text/markdown', buffer: Buffer.from(text) })
    // The upload only: the documents list it reloads afterwards goes through unslowed.
    await page.route('**/api/v1/datasources/*/documents?*', async (route) => {
      if (route.request().method() !== 'POST') return route.fallback()
      await new Promise((resolve) => setTimeout(resolve, 500))
      await route.continue()
    })
    await page.getByRole('button', { name: 'Upload' }).click()
    await page.getByRole('button', { name: /^Uploading handbook\.md \(\d+ B\)…$/ }).waitFor()
    await shot('uploading')
    await page.getByRole('status').getByText(/^Uploaded handbook\.md: \d+ chunks? indexed\.$/).waitFor()
    await page.unroute('**/api/v1/datasources/*/documents?*')
    await page.getByRole('table', { name: 'Documents' }).getByRole('cell', { name: 'handbook.md', exact: true }).waitFor()
    await shot('uploaded')

    await page.getByLabel('Document', { exact: true }).setInputFiles({ name: 'huge.txt', mimeType: 'text/plain', buffer: Buffer.alloc(6 * 1024 * 1024, 'a') })
    await page.getByRole('button', { name: 'Upload' }).click()
    await expect.poll(() => page.getByRole('form', { name: 'Upload a document' }).getByRole('alert').textContent()).toBe('the request body is larger than 5 MB, the limit of this route')
    await shot('upload-too-large')
  })

  it('searches the datasource: the matching chunk is shown as its text, a hostile one too', async () => {
    await page.getByLabel('Query').fill('aurora expedition')
    await page.getByRole('button', { name: 'Search' }).click()
    const results = page.getByRole('list', { name: 'Search results' })
    await results.waitFor()
    expect(await results.getByRole('listitem').count()).toBe(1)
    expect(await results.locator('.snippet').textContent()).toContain('The aurora expedition leaves from Tromsø every winter')
    await shot('search-results')

    await page.getByLabel('Query').fill('wiki')
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => results.locator('.snippet').first().textContent()).toContain(`Someone wrote ${XSS} into the wiki.`)
    expect(await results.locator('img').count()).toBe(0)
    await noXssRan()
    await shot('search-xss-as-text')

    await page.getByLabel('Query').fill('nothing-like-this')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.getByText('Nothing matches “nothing-like-this”.').waitFor()
  })

  it('shows why a search is refused under the Query field: blank before sending, too long as the API says', async () => {
    const alerts = await page.getByRole('alert').count()
    await page.getByLabel('Query').fill('  ')
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => page.locator('#field-query-error').textContent()).toBe('required')
    expect(await page.getByRole('alert').count()).toBe(alerts)
    await shot('search-blank')

    await page.getByLabel('Query').fill('x'.repeat(20_000))
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => page.locator('#field-query-error').textContent()).toMatch(/must NOT have more than/)
    await shot('search-too-long')
  })

  it("lists a plugin's schedule, runs it now and shows the run in its history with its status", async () => {
    await api('POST', '/plugins', { source: `file://${heartbeatPlugin}` })
    await api('POST', '/plugins/heartbeat-scheduler/scopes', { scope: 'kv.readwrite' })
    await api('POST', '/plugins/heartbeat-scheduler/enable')
    await sidebar().getByRole('link', { name: 'Schedules' }).click()
    const row = page.getByRole('row').filter({ hasText: 'heartbeat-scheduler' })
    await row.waitFor()
    expect(await row.getByRole('cell').nth(2).textContent()).toContain('* * * * *')
    await shot('schedules-list')

    await row.getByRole('link', { name: 'Heartbeat' }).click()
    await page.getByRole('heading', { name: 'Heartbeat' }).waitFor()
    const history = page.getByRole('table', { name: 'Run history' })
    await page.getByRole('button', { name: 'Run now' }).click()
    const manual = history.getByRole('row').filter({ hasText: 'manual' }).first()
    await manual.waitFor()
    await expect.poll(() => manual.getByRole('cell').first().textContent(), { timeout: 15_000 }).toBe('completed')
    expect(await manual.getByRole('cell').nth(4).textContent()).toMatch(/^\d+ ms$|^\d+\.\d s$/)
    await shot('run-now-completed')
  })

  it("refuses a second Run now while a run is going, with the API's message, and shows it finished", async () => {
    await api('POST', '/plugins', { source: `file://${slowPlugin}` })
    await api('POST', '/plugins/slow-scheduler/enable')
    await sidebar().getByRole('link', { name: 'Schedules' }).click()
    await page.getByRole('link', { name: 'Slow export' }).click()
    await page.getByRole('heading', { name: 'Slow export' }).waitFor()
    const history = page.getByRole('table', { name: 'Run history' })
    await page.getByRole('button', { name: 'Run now' }).click()
    await history.getByRole('cell', { name: 'running', exact: true }).waitFor()
    await page.getByRole('button', { name: 'Run now' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^schedule "slow" is running \(run [\w-]+\); wait for it to finish, then run it again$/)
    await shot('run-now-refused-while-running')
    await history.getByRole('cell', { name: 'completed', exact: true }).waitFor({ timeout: 15_000 })
    expect(await history.getByRole('row').count()).toBe(2)
    await shot('slow-run-completed')
  })

  it("pages through a schedule's history and shows a failed run's error as text", async () => {
    const { items } = await api<{ items: { id: string; name: string }[] }>('GET', '/schedules?plugin=slow-scheduler')
    const failing = items.find((item) => item.name === 'Failing sync')!
    for (let i = 0; i < 20; i++) {
      await api('POST', `/schedules/${failing.id}/run`)
      await expect.poll(async () => (await api<{ lastRun: { status: string } }>('GET', `/schedules/${failing.id}`)).lastRun.status).toBe('failed')
    }
    await sidebar().getByRole('link', { name: 'Schedules' }).click()
    await page.getByRole('link', { name: 'Failing sync' }).click()
    await page.getByRole('button', { name: 'Run now' }).click()
    const history = page.getByRole('table', { name: 'Run history' })
    const newest = history.getByRole('row').nth(1)
    await expect.poll(() => newest.getByRole('cell').nth(1).textContent()).toBe('manual')
    await expect.poll(() => newest.getByRole('cell').first().textContent()).toBe('failed')
    expect(await newest.getByRole('cell').nth(5).textContent()).toContain(`the upstream refused the sync: ${XSS}`)
    expect(await history.locator('img').count()).toBe(0)
    await noXssRan()
    expect(await history.getByRole('row').count()).toBe(21)
    await shot('history-page-1')

    const pager = page.getByRole('navigation', { name: 'Run history pages' })
    // The next page is held back: the pager says it is loading and its buttons wait.
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const laterRuns = (url: URL) => url.pathname.endsWith('/runs') && url.searchParams.has('cursor')
    await page.route(laterRuns, async (route) => {
      await held
      await route.continue()
    })
    await pager.getByRole('button', { name: 'Next →' }).click()
    await pager.getByText('Loading page 2…').waitFor()
    expect(await pager.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(true)
    expect(await history.getByRole('row').count()).toBe(21)
    release()
    await pager.getByText('Page 2', { exact: true }).waitFor()
    await page.unroute(laterRuns)
    await expect.poll(() => history.getByRole('row').count()).toBe(2)
    expect(await pager.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true)
    await shot('history-page-2')
    await pager.getByRole('button', { name: '← Previous' }).click()
    await expect.poll(() => history.getByRole('row').count()).toBe(21)

    // A schedule that does not exist says so once, with no history under it.
    await page.goto('/schedules/no-such-schedule')
    await page.getByRole('alert').first().waitFor()
    expect(await page.getByRole('alert').count()).toBe(1)
    expect(await page.getByRole('heading', { name: 'Run history' }).count()).toBe(0)
  })
})
