import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Studio } from '../src/index.js'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

describe.each(DATABASES)('the master key at start on %s', (kind) => {
  let s: TestStudio
  beforeAll(async () => {
    s = await startStudio(kind)
  })
  afterAll(() => s?.close())

  const startWith = (env: NodeJS.ProcessEnv) => Studio.start({ dataDir: s.dataDir, databaseUrl: s.databaseUrl, env, logger: pino({ level: 'silent' }) })

  it('refuses to start (MASTER_KEY_INVALID, naming where the key came from) with a key that does not decrypt the stored secrets', async () => {
    expect((await s.api('POST', '/api/v1/llms', { slug: 'vendor', vendor: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-secret-abcd1234', models: ['m'] })).status).toBe(201)
    await s.studio.close()

    await expect(startWith({ PLUGBOARD_MASTER_KEY: 'another key' })).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID', message: expect.stringContaining('PLUGBOARD_MASTER_KEY') })
    const keyFile = join(s.dataDir, 'master.key')
    const key = readFileSync(keyFile, 'utf8')
    writeFileSync(keyFile, 'damaged\n')
    await expect(startWith({})).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID', message: expect.stringContaining(keyFile) })

    writeFileSync(keyFile, key)
    await s.restart()
    expect((await s.api('GET', '/api/v1/llms/vendor')).json.apiKeyHint).toBe('…1234')
  })
})
