import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql, type Migration } from 'kysely'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrations } from '../src/db/migrations/index.js'
import { openDatabase, Platform, Studio } from '../src/index.js'
import { ADMIN, DATABASES, freshPostgres } from './helpers.js'
import { TcpProxy } from './tcp-proxy.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const cli = join(root, 'packages/cli/dist/main.js')
const admin = { authorization: `Bearer ${ADMIN.token}`, 'content-type': 'application/json' }
const env = { PLUGBOARD_ADMIN_EMAIL: ADMIN.email, PLUGBOARD_ADMIN_PASSWORD: ADMIN.password, PLUGBOARD_ADMIN_TOKEN: ADMIN.token }

describe('the database going away and coming back (PostgreSQL through a TCP proxy)', () => {
  const proxy = new TcpProxy({ host: '127.0.0.1', port: 5432 })
  let platform: Platform
  let dataDir: string
  let drop: () => Promise<void>
  beforeAll(async () => {
    await proxy.start()
    const postgres = await freshPostgres()
    drop = postgres.drop
    const url = new URL(postgres.url)
    url.port = String(proxy.port)
    dataDir = mkdtempSync(join(tmpdir(), 'pb-away-'))
    platform = await Platform.start({ dataDir, databaseUrl: url.toString(), host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), env })
  })
  afterAll(async () => {
    await platform?.close()
    await proxy.close()
    await drop?.()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers 503 with Retry-After while it is away, the gateway keeps serving, and both recover without a restart', async () => {
    await fetch(`${platform.url}/api/v1/config/apply`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }], apps: [{ id: 'app', keys: [{ value: 'pb-away-key-0123456789' }], allowedLlms: ['mock'] }] }),
    })
    const chat = () =>
      fetch(`${platform.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer pb-away-key-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }),
      })
    expect((await chat()).status).toBe(200)

    await proxy.pause()
    const away = await fetch(`${platform.url}/api/v1/llms`, { headers: admin })
    expect(away.status).toBe(503)
    expect(away.headers.get('retry-after')).toBe('2')
    expect(((await away.json()) as { error: { code: string } }).error.code).toBe('DATABASE_UNAVAILABLE')
    const write = await fetch(`${platform.url}/api/v1/llms`, { method: 'POST', headers: admin, body: JSON.stringify({ slug: 'during', vendor: 'mock', models: ['m'] }) })
    expect(write.status).toBe(503)
    for (let i = 0; i < 5; i++) expect((await chat()).status).toBe(200)

    await proxy.resume()
    let back = 0
    for (let attempt = 0; attempt < 50 && back !== 200; attempt++) {
      back = (await fetch(`${platform.url}/api/v1/llms`, { headers: admin })).status
      if (back !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(back).toBe(200)
    const created = await fetch(`${platform.url}/api/v1/llms`, { method: 'POST', headers: admin, body: JSON.stringify({ slug: 'after', vendor: 'mock', models: ['after-model'] }) })
    expect(created.status).toBe(201)
    expect(platform.config.llms.map((llm) => llm.slug)).toContain('after')
  })
})

describe('a crash mid-write (the embedded database, kill -9)', () => {
  it('leaves no object without its audit entry, and the next start takes over the lock and opens', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pb-crash-'))
    try {
      const script = `
        import { Studio } from ${JSON.stringify(join(root, 'packages/studio/dist/index.js'))}
        import pino from ${JSON.stringify(join(root, 'node_modules/pino/pino.js'))}
        const studio = await Studio.start({ dataDir: ${JSON.stringify(dataDir)}, env: ${JSON.stringify(env)}, logger: pino({ level: 'silent' }) })
        for (let i = 0; ; i++) {
          await studio.api.inject({ method: 'POST', url: '/api/v1/llms', headers: { authorization: 'Bearer ${ADMIN.token}', 'content-type': 'application/json' }, payload: JSON.stringify({ slug: 'crash-' + i, vendor: 'mock', models: ['m'] }) })
          process.stdout.write('w')
        }`
      const file = join(dataDir, 'writer.mjs')
      writeFileSync(file, script)
      const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] })
      let written = 0
      await new Promise<void>((resolve) => child.stdout.on('data', (data: Buffer) => (written += data.length) >= 30 && resolve()))
      child.kill('SIGKILL')
      await once(child, 'exit')

      const studio = await Studio.start({ dataDir, env, logger: pino({ level: 'silent' }) })
      try {
        const db = studio.context.db
        const llms = (await db.selectFrom('llms').select('id').execute()).map((row) => row.id).sort()
        const audited = (await db.selectFrom('audit_log').select('object_id').where('object_type', '=', 'llm').where('action', '=', 'create').execute()).map((row) => row.object_id).sort()
        expect(llms.length).toBeGreaterThanOrEqual(30)
        expect(audited).toEqual(llms)
      } finally {
        await studio.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('a second plugboard up on the same data directory', () => {
  it('is refused with a clear message while the first runs, and the first is not disturbed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pb-twice-'))
    const first = spawn(process.execPath, [cli, 'up', '--data', dataDir, '--port', '0', '--no-seed'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      let out = ''
      await new Promise<void>((resolve) => first.stdout.on('data', (data: Buffer) => (out += data.toString()).includes('Ctrl-C stops') && resolve()))
      const url = /is up on (http:\/\/[\d.:]+)/.exec(out)![1]!
      const second = spawn(process.execPath, [cli, 'up', '--data', dataDir, '--port', '0', '--no-seed'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      second.stderr.on('data', (data: Buffer) => (stderr += data.toString()))
      const [code] = (await once(second, 'exit')) as [number]
      expect(code).toBe(1)
      expect(stderr).toContain('DATA_DIR_LOCKED')
      expect(stderr).toContain(`in use by another Studio (pid ${first.pid})`)
      expect((await fetch(`${url}/api/v1/me`, { headers: admin })).status).toBe(200)
    } finally {
      first.kill('SIGTERM')
      await once(first, 'exit')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('a lock left with our own pid (a container restarted after a SIGKILL: the same pid every start)', () => {
  it('is taken over, while one this process holds still refuses a second open', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pb-samepid-'))
    try {
      writeFileSync(join(dataDir, 'studio.lock'), `${process.pid}\n`)
      const database = await openDatabase({ dataDir })
      try {
        await expect(openDatabase({ dataDir })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' })
      } finally {
        await database.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe.each(DATABASES)('a migration that fails on %s', (kind) => {
  it('leaves the schema as it was, and the next start with a working one resumes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pb-migrate-'))
    const postgres = kind === 'postgres' ? await freshPostgres() : undefined
    const location = postgres ? { url: postgres.url } : { dataDir }
    const base = await migrations.getMigrations()
    const failing: Migration = {
      async up(db) {
        await db.schema.createTable('half_done').addColumn('id', 'integer').execute()
        throw new Error('power cut')
      },
    }
    const working: Migration = { up: (db) => db.schema.createTable('half_done').addColumn('id', 'integer').execute() }
    try {
      await expect(openDatabase(location, { getMigrations: async () => ({ ...base, '9999-next': failing }) })).rejects.toThrow(/power cut/)
      const reopened = await openDatabase(location, { getMigrations: async () => ({ ...base, '9999-next': working }) })
      const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_name in ('half_done', 'users')`.execute(reopened.db)
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(reopened.db)
      await reopened.close()
      expect(tables.rows.map((row) => row.name).sort()).toEqual(['half_done', 'users'])
      expect(applied.rows.map((row) => row.name)).toEqual([...Object.keys(base).sort(), '9999-next'])
    } finally {
      await postgres?.drop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
