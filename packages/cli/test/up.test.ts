import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const bin = join(root, 'node_modules/.bin/plugboard')
const TOKEN = 'pbt_cli_up_test_token_0123456789'
const run = promisify(execFile)

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Starts a long-running plugboard command; resolves with its stdout once the summary is out. */
async function start(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; summary: string }> {
  const child = spawn(bin, args, { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  let summary = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => (summary += data.toString()).includes('Ctrl-C stops.') && resolve())
    child.once('exit', (code) => reject(new Error(`plugboard ${args[0]} exited with ${code}:\n${summary}`)))
  })
  return { child, summary }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

const cli = (args: string[], env: NodeJS.ProcessEnv = { PLUGBOARD_ADMIN_TOKEN: TOKEN }) =>
  run(bin, args, { cwd: root, env: { ...process.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  )

describe('plugboard up, the main job', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plugboard-up-'))
  const analytics = mkdtempSync(join(tmpdir(), 'plugboard-up-analytics-'))
  let child: ChildProcess | undefined
  let summary = ''
  let url = ''
  const env = { PLUGBOARD_ADMIN_TOKEN: TOKEN, PLUGBOARD_ANALYTICS_DIR: analytics, PLUGBOARD_DEMO_KEY: '' }

  beforeAll(async () => {
    const port = await freePort()
    ;({ child, summary } = await start(['up', '--data', dataDir, '--port', String(port)], env))
    url = `http://127.0.0.1:${port}`
  })
  afterAll(async () => {
    await stop(child)
    rmSync(dataDir, { recursive: true, force: true })
    rmSync(analytics, { recursive: true, force: true })
  })

  it('prints the URLs, the generated admin login and demo key once, and a curl that works as printed', async () => {
    expect(summary).toContain(`Plugboard is up on ${url}`)
    expect(summary).toContain(`${url}/api/v1/openapi.json`)
    const password = /admin@plugboard\.local {2}password: (\S+) {3}<- shown this once/.exec(summary)?.[1]
    expect(password).toBeDefined()
    expect(summary).toMatch(/Demo key {2}pb-demo-\S+ {3}<- shown this once/)
    const curl = summary.slice(summary.indexOf('  curl ')).split('\n\n')[0]!
    const { stdout } = await run('bash', ['-c', curl])
    expect(JSON.parse(stdout)).toMatchObject({ object: 'chat.completion', model: 'mock-gpt' })

    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@plugboard.local', password }) })
    expect(login.status).toBe(200)
  })

  it('exports what it serves as gateway YAML, and applies a changed file showing the diff first, idempotently', async () => {
    const exported = await cli(['config', 'export', '--url', url])
    expect(exported.code).toBe(0)
    const document = parseYaml(exported.stdout) as { llms: { slug: string }[]; apps: { id: string }[]; plugins: { name: string }[]; pricing: Record<string, { input: number; output: number }> }
    expect(document.llms.map((llm) => llm.slug)).toEqual(['mock'])
    expect(document.apps.map((app) => app.id)).toEqual(['demo'])
    expect(document.plugins.map((plugin) => plugin.name)).toContain('pii-redactor')

    const file = join(dataDir, 'changed.yaml')
    writeFileSync(file, stringifyYaml({ pricing: { ...document.pricing, 'mock-gpt': { input: 9, output: 9 } } }))
    const dry = await cli(['config', 'apply', file, '--dry-run', '--url', url])
    expect(dry).toMatchObject({ code: 0, stdout: '~ pricing/mock-gpt (input, output)\n' })
    const applied = await cli(['config', 'apply', file, '--url', url])
    expect(applied.stdout).toBe('~ pricing/mock-gpt (input, output)\napplied 1 change\n')
    expect((await cli(['config', 'apply', file, '--url', url])).stdout).toBe('no changes: Studio already matches the file\n')

    const output = join(dataDir, 'export.yaml')
    expect((await cli(['config', 'export', '--url', url, '--with-secrets', '-o', output])).code).toBe(0)
    expect(parseYaml(readFileSync(output, 'utf8')).pricing['mock-gpt']).toEqual({ input: 9, output: 9 })
  })

  it('refuses config commands without a token (exit 2), or when Studio cannot be reached or something else answers at --url (exit 1)', async () => {
    const { PLUGBOARD_ADMIN_TOKEN: _a, PLUGBOARD_TOKEN: _b, ...noToken } = process.env
    const without = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(bin, ['config', 'export', '--url', url], { cwd: root, env: noToken })
      let stderr = ''
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      c.once('exit', (code) => resolve({ code, stderr }))
    })
    expect(without.code).toBe(2)
    expect(without.stderr).toContain('an admin API token is needed')
    const unreachable = await cli(['config', 'export', '--url', 'http://127.0.0.1:9'], { PLUGBOARD_ADMIN_TOKEN: TOKEN })
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toContain('CLI_STUDIO_UNREACHABLE')
    const notStudio = createHttpServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'))
    await new Promise<void>((resolve) => notStudio.listen(0, '127.0.0.1', resolve))
    try {
      const other = await cli(['config', 'export', '--url', `http://127.0.0.1:${(notStudio.address() as AddressInfo).port}`], { PLUGBOARD_ADMIN_TOKEN: TOKEN })
      expect(other.code).toBe(1)
      expect(other.stderr).toContain('CLI_STUDIO_UNREACHABLE')
    } finally {
      notStudio.close()
    }
    const wrongToken = await cli(['config', 'export', '--url', url], { PLUGBOARD_ADMIN_TOKEN: 'pbt_wrong' })
    expect(wrongToken.stderr).toContain('UNAUTHENTICATED')
  })

  it('on a later start, keeps the data and shows no secret again', async () => {
    await stop(child)
    const port = await freePort()
    ;({ child, summary } = await start(['up', '--data', dataDir, '--port', String(port)], env))
    expect(summary).not.toContain('shown this once')
    expect(summary).toContain('sign in with the admin created on first start')
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/model-prices`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(JSON.stringify(await response.json())).toContain('"input":9')
  })
})

describe('plugboard studio', () => {
  it('serves the admin API alone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plugboard-studio-'))
    const port = await freePort()
    const { child, summary } = await start(['studio', '--data', dataDir, '--port', String(port)], { PLUGBOARD_ADMIN_TOKEN: TOKEN })
    try {
      expect(summary).toContain(`Plugboard Studio is up on http://127.0.0.1:${port}`)
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`)).status).toBe(200)
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/me`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
    } finally {
      await stop(child)
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
