import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Platform } from '../src/index.js'
import { ADMIN, freshPostgres } from './helpers.js'

const admin = { authorization: `Bearer ${ADMIN.token}`, 'content-type': 'application/json' }
const env = { PLUGBOARD_ADMIN_EMAIL: ADMIN.email, PLUGBOARD_ADMIN_PASSWORD: ADMIN.password, PLUGBOARD_ADMIN_TOKEN: ADMIN.token }

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('never happened')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Date.now() - started
}

describe('two plugboard up processes on one PostgreSQL', () => {
  const nodes: Platform[] = []
  const dirs: string[] = []
  let drop: () => Promise<void>
  beforeAll(async () => {
    const postgres = await freshPostgres()
    drop = postgres.drop
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), `pb-node-${i}-`))
      dirs.push(dataDir)
      nodes.push(await Platform.start({ dataDir, databaseUrl: postgres.url, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), env }))
    }
  })
  afterAll(async () => {
    for (const node of nodes) await node.close()
    await drop?.()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it("serves on one node's gateway what was written through the other's API", async () => {
    const [a, b] = nodes as [Platform, Platform]
    const applied = await fetch(`${a.url}/api/v1/config/apply`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }], apps: [{ id: 'shared', keys: [{ value: 'pb-shared-key-0123456789' }], allowedLlms: ['mock'] }] }),
    })
    expect(applied.status).toBe(200)
    const chat = () =>
      fetch(`${b.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer pb-shared-key-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }),
      })
    const ms = await eventually(async () => (await chat()).status === 200)
    expect(ms).toBeLessThan(1000)

    const { version } = (await (await fetch(`${b.url}/api/v1/apps/shared`, { headers: admin })).json()) as { version: number }
    await fetch(`${b.url}/api/v1/apps/shared`, { method: 'PATCH', headers: { ...admin, 'if-match': `"${version}"` }, body: JSON.stringify({ enabled: false }) })
    await eventually(async () => a.config.apps.every((app) => app.id !== 'shared'))
  })
})
