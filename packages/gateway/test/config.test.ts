import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { Gateway, encryptSecret, parseConfig, yamlFileSource } from '@plugboard/gateway'
import { post } from './helpers.js'

const base = (key: string) => `
server: { port: 0 }
llms: [{ slug: mock, vendor: mock, models: [mock-gpt] }]
apps: [{ id: a, keys: [{ value: ${key} }] }]
`

describe('gateway config', () => {
  it('interpolates environment variables in values, with defaults, and hashes keys', () => {
    const config = parseConfig(`${base('"${DEMO:-pb-default-key-000}"')}\n# \${NOT_INTERPOLATED} in a comment`, { baseDir: '/', env: {} })
    expect(config.apps[0]!.keys[0]!.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(config)).not.toContain('pb-default-key-000')
    expect(() => parseConfig(base('"${MISSING_VAR}"'), { baseDir: '/', env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('MISSING_VAR') }))
  })

  it('decrypts vendor keys encrypted with the master key', () => {
    const env = { PLUGBOARD_MASTER_KEY: 'master-secret' }
    const encrypted = encryptSecret('sk-real-key', env)
    const yaml = `llms: [{ slug: o, vendor: openai, apiKeyEncrypted: "${encrypted}", models: [gpt] }]`
    expect(parseConfig(yaml, { baseDir: '/', env }).llms[0]!.apiKey).toBe('sk-real-key')
    expect(() => parseConfig(yaml, { baseDir: '/', env: { PLUGBOARD_MASTER_KEY: 'wrong' } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it.each([
    ['unknown top-level key', 'bogus: 1'],
    ['bad vendor', 'llms: [{ slug: x, vendor: magic, models: [m] }]'],
    ['vendor without key', 'llms: [{ slug: x, vendor: openai, models: [m] }]'],
    ['app allowing an unknown LLM', 'apps: [{ id: a, keys: [], allowedLlms: [nope] }]'],
    ['bad YAML', 'llms: [unclosed'],
  ])('rejects %s with CONFIG_INVALID', (_name, yaml) => {
    expect(() => parseConfig(yaml, { baseDir: '/', env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('reloads when the file changes: new keys work at once, the old config serves until then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-cfg-'))
    const path = join(dir, 'gateway.yaml')
    writeFileSync(path, base('pb-first-key-0000000'))
    const gateway = await Gateway.start({ source: yamlFileSource(path), logger: pino({ level: "silent" }) })
    try {
      const request = (key: string) => post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [] }, { authorization: `Bearer ${key}` })
      expect((await request('pb-first-key-0000000')).status).toBe(200)
      writeFileSync(path, base('pb-second-key-000000'))
      let status = 0
      for (let i = 0; i < 100 && status !== 200; i++) {
        await sleep(50)
        status = (await request('pb-second-key-000000')).status
      }
      expect(status).toBe(200)
      expect((await request('pb-first-key-0000000')).status).toBe(401)
      writeFileSync(path, 'llms: [broken')
      await sleep(400)
      expect((await request('pb-second-key-000000')).status).toBe(200)
    } finally {
      await gateway.close()
    }
  })
})
