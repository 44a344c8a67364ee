import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Studio } from '../src/index.js'
import { ADMIN } from './helpers.js'

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>'

async function startStudio(uiDir: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-ui-'))
  const studio = await Studio.start({ dataDir, uiDir, env: { PLUGBOARD_ADMIN_EMAIL: ADMIN.email, PLUGBOARD_ADMIN_PASSWORD: ADMIN.password }, logger: pino({ level: 'silent' }) })
  const get = (url: string, accept?: string) => studio.api.inject({ method: 'GET', url, headers: accept ? { accept } : {} })
  return { studio, get, close: async () => (await studio.close(), rmSync(dataDir, { recursive: true, force: true })) }
}

describe('Studio serves the built browser UI', () => {
  const uiDir = mkdtempSync(join(tmpdir(), 'pb-ui-dist-'))
  let ui: Awaited<ReturnType<typeof startStudio>>
  beforeAll(async () => {
    mkdirSync(join(uiDir, 'assets'))
    writeFileSync(join(uiDir, 'index.html'), INDEX)
    writeFileSync(join(uiDir, 'assets/index-abc123.js'), 'console.log(1)')
    writeFileSync(join(uiDir, 'assets/index-abc123.css'), 'body{}')
    ui = await startStudio(uiDir)
  })
  afterAll(async () => {
    await ui?.close()
    rmSync(uiDir, { recursive: true, force: true })
  })

  it('answers / with index.html, revalidated every time, under the strict CSP', async () => {
    const page = await ui.get('/')
    expect(page.statusCode).toBe(200)
    expect(page.body).toBe(INDEX)
    expect(page.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' })
  })

  it('serves hashed assets with their content type, cached for good, and without a CSP of their own', async () => {
    const script = await ui.get('/assets/index-abc123.js')
    expect(script.statusCode).toBe(200)
    expect(script.body).toBe('console.log(1)')
    expect(script.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' })
    expect(script.headers['content-security-policy']).toBeUndefined()
    expect((await ui.get('/assets/index-abc123.css')).headers['content-type']).toBe('text/css; charset=utf-8')
  })

  it("answers the UI's own routes with index.html when a browser asks for a page, and a JSON 404 when asked for data", async () => {
    const deep = await ui.get('/apps/some-app', 'text/html,application/xhtml+xml,*/*;q=0.8')
    expect(deep.statusCode).toBe(200)
    expect(deep.body).toBe(INDEX)
    expect(deep.headers['content-security-policy']).toBe(CSP)
    const data = await ui.get('/apps/some-app', 'application/json')
    expect(data.statusCode).toBe(404)
    expect(data.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } })
    expect((await ui.get('/assets/missing-123.js')).statusCode).toBe(404)
  })

  it('never answers an /api/ path with the UI, and keeps the API working beside it', async () => {
    for (const path of ['/api/v1/nope', '/api/other', '/api/v1', '/api']) {
      const missing = await ui.get(path, 'text/html')
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND', message: `no route for GET ${path}` } })
    }
    expect((await ui.get('/api/v1/openapi.json')).json()).toMatchObject({ openapi: '3.1.0' })
    expect(JSON.stringify((await ui.get('/api/v1/openapi.json')).json().paths)).not.toContain('"/*"')
  })

  it('cannot be walked out of its directory', async () => {
    for (const path of ['/../package.json', '/assets/..%2F..%2Fpackage.json', '/%2e%2e/%2e%2e/etc/passwd']) {
      const answer = await ui.get(path)
      expect(answer.body).not.toContain('"name"')
      expect(answer.body).not.toContain('root:')
    }
  })
})

describe('Studio without a UI build', () => {
  it('says to run npm run build when a page is asked for, and serves the API as usual', async () => {
    const ui = await startStudio(join(tmpdir(), 'pb-no-such-ui-build'))
    try {
      const page = await ui.get('/', 'text/html')
      expect(page.statusCode).toBe(503)
      expect(page.json()).toMatchObject({ error: { code: 'UI_NOT_BUILT', message: expect.stringContaining('run `npm run build`') } })
      expect((await ui.get('/llms', 'text/html')).json()).toMatchObject({ error: { code: 'UI_NOT_BUILT' } })
      expect((await ui.get('/api/v1/openapi.json')).statusCode).toBe(200)
    } finally {
      await ui.close()
    }
  })
})
