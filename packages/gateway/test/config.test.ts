import { mkdtempSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gateway, encryptSecret, parseConfig, yamlFileSource } from '@plugboard/gateway'
import { configChanges } from '../src/config-diff.js'
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
    expect(() => parseConfig(yaml, { baseDir: '/', env: {} })).toThrow(/needs PLUGBOARD_MASTER_KEY to be set/)
  })

  it.each([
    ['unknown top-level key', 'bogus: 1'],
    ['bad vendor', 'llms: [{ slug: x, vendor: magic, models: [m] }]'],
    ['vendor without key', 'llms: [{ slug: x, vendor: openai, models: [m] }]'],
    ['app allowing an unknown LLM', 'apps: [{ id: a, keys: [], allowedLlms: [nope] }]'],
    ['bad YAML', 'llms: [unclosed'],
    ['two plugins with one name', 'plugins: [{ name: a, source: /a }, { name: a, source: /b }]'],
  ])('rejects %s with CONFIG_INVALID', (_name, yaml) => {
    expect(() => parseConfig(yaml, { baseDir: '/', env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it.each([
    ['server.prot: unknown key; allowed: host, port, maxBodyBytes', 'server: { prot: 8080 }'],
    ['plugins[2].failurePolicy: must be one of fail-open, fail-closed', `plugins: [{ name: a, source: /a }, { name: b, source: /b }, { name: c, source: /c, failurePolicy: closed }]`],
    ['llms[0].vendor: must be one of mock, openai, anthropic', 'llms: [{ slug: x, vendor: magic, models: [m] }]'],
    ['plugins[0].source: required', 'plugins: [{ name: a }]'],
    ['collector.batchSize: must be integer', 'collector: { batchSize: lots }'],
    ['plugins[0].includeBodies: must be boolean', 'plugins: [{ name: a, source: /a, includeBodies: sometimes }]'],
    ['bogus: unknown key; allowed: server, llms, apps, plugins, pricing, collector, budgets', 'bogus: 1'],
    ['plugins[0].isolation.uid: must be >= 1', 'plugins: [{ name: a, source: /a, isolation: { uid: 0 } }]'],
  ])('names the offending key and what is allowed: %s', (message, yaml) => {
    expect(() => parseConfig(yaml, { baseDir: '/', env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }))
  })
})

describe('a plugin entry', () => {
  it("takes the plugin's own uid and gid, or isolation: false", () => {
    const parse = (isolation: string) => parseConfig(`plugins: [{ name: a, source: /a, isolation: ${isolation} }]`, { baseDir: '/', env: {} }).plugins[0]!.isolation
    expect(parse('{ uid: 20001, gid: 20002 }')).toEqual({ uid: 20001, gid: 20002 })
    expect(parse('false')).toBe(false)
  })
})

/** Every way editors and tools save a file; each must reach the gateway, whichever came before. */
const saves: Record<string, (path: string, text: string) => Promise<void> | void> = {
  'in-place write': (path, text) => writeFileSync(path, text),
  'rename-replace (mv tmp gateway.yaml)': (path, text) => {
    writeFileSync(`${path}.tmp`, text)
    renameSync(`${path}.tmp`, path)
  },
  'vim (rename away, write anew, delete the backup)': (path, text) => {
    renameSync(path, `${path}~`)
    writeFileSync(path, text)
    unlinkSync(`${path}~`)
  },
  'delete, then create': async (path, text) => {
    unlinkSync(path)
    await sleep(300)
    writeFileSync(path, text)
  },
  'touch, then in-place write': async (path, text) => {
    const now = new Date()
    utimesSync(path, now, now)
    await sleep(300)
    writeFileSync(path, text)
  },
}

describe('the YAML config file source', () => {
  let dir: string
  let path: string
  let gateway: Gateway
  const logs: Array<Record<string, any>> = []
  const request = (key: string) => post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` })
  /** Polls until `key` is accepted: the saved file was read and applied. */
  const accepted = async (key: string) => {
    for (let i = 0; i < 100; i++) {
      if ((await request(key)).status === 200) return true
      await sleep(50)
    }
    return false
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-cfg-'))
    path = join(dir, 'gateway.yaml')
    writeFileSync(path, base('pb-key-initial-00000'))
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, any>) })
    gateway = await Gateway.start({ source: yamlFileSource(path), logger })
  })
  afterAll(async () => {
    await gateway.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('hears every save style, each after every other (twice round)', async () => {
    let n = 0
    for (const round of [1, 2]) {
      for (const [style, save] of Object.entries(saves)) {
        const key = `pb-key-${round}-${n++}-000000000`
        await save(path, base(key))
        expect(await accepted(key), `${style} (round ${round})`).toBe(true)
      }
    }
    expect((await request('pb-key-initial-00000')).status).toBe(401)
  })

  it('logs each applied config with what changed', async () => {
    await saves['in-place write']!(path, base('pb-key-logged-000000'))
    expect(await accepted('pb-key-logged-000000')).toBe(true)
    expect(logs.filter((line) => line.msg === 'config applied').at(-1)).toMatchObject({ changes: { apps: { changed: ['a'] } } })
  })

  it('rejects an invalid save with the reason in the log and keeps serving the running config', async () => {
    const good = 'pb-key-kept-00000000'
    await saves['in-place write']!(path, base(good))
    expect(await accepted(good)).toBe(true)
    const rejected = logs.filter((line) => line.msg === 'config rejected').length
    await saves['rename-replace (mv tmp gateway.yaml)']!(path, `${base(good)}\nplugins: [{ name: p, source: /p, failurePolicy: sometimes }]`)
    for (let i = 0; i < 100 && logs.filter((line) => line.msg === 'config rejected').length === rejected; i++) await sleep(50)
    expect(logs.filter((line) => line.msg === 'config rejected').at(-1)).toMatchObject({
      code: 'CONFIG_INVALID',
      reason: expect.stringContaining('plugins[0].failurePolicy: must be one of fail-open, fail-closed'),
    })
    expect((await request(good)).status).toBe(200)
  })

  it('applies the last of two quick saves', async () => {
    saves['in-place write']!(path, base('pb-key-quick-first-0'))
    await saves['rename-replace (mv tmp gateway.yaml)']!(path, base('pb-key-quick-last-00'))
    expect(await accepted('pb-key-quick-last-00')).toBe(true)
    await sleep(500)
    expect((await request('pb-key-quick-last-00')).status).toBe(200)
    expect((await request('pb-key-quick-first-0')).status).toBe(401)
  })
})

describe('budgets and key expiry in the config', () => {
  const yaml = (budgets: string, app = '{ id: a, keys: [{ value: pb-key-00000000, expiresAt: "2026-12-31T23:59:59Z" }], monthlyBudget: 5 }') => `
llms: [{ slug: mock, vendor: mock, models: [mock-gpt] }]
apps: [${app}]
budgets: ${budgets}
`
  const parse = (text: string) => parseConfig(text, { baseDir: '/', env: {} })

  it("reads limits per app and per LLM, monthly or in days from an anchor, and an app's monthlyBudget as the limit app:<id>", () => {
    const config = parse(yaml('{ limits: [{ id: weekly-mock, llm: mock, limit: 2.5, period: { days: 7, anchor: "2026-03-02T00:00:00Z" }, thresholds: [90, 25] }, { id: a-daily, app: a, limit: 1, period: { days: 1, anchor: "2026-03-02" } }] }'))
    expect(config.apps[0]!.keys[0]!.expiresAt).toBe(Date.parse('2026-12-31T23:59:59Z'))
    expect(config.budgets).toEqual({
      defaultCompletionTokens: 4096,
      limits: [
        { id: 'app:a', scope: 'app', target: 'a', limitUsd: 5, period: { kind: 'monthly' }, thresholds: [50, 80, 100] },
        { id: 'weekly-mock', scope: 'llm', target: 'mock', limitUsd: 2.5, period: { kind: 'days', days: 7, anchor: Date.parse('2026-03-02T00:00:00Z') }, thresholds: [25, 90] },
        { id: 'a-daily', scope: 'app', target: 'a', limitUsd: 1, period: { kind: 'days', days: 1, anchor: Date.parse('2026-03-02T00:00:00Z') }, thresholds: [50, 80, 100] },
      ],
    })
    // Without an id, a limit is named after what it limits.
    expect(parse(yaml('{ limits: [{ llm: mock, limit: 1 }] }')).budgets.limits[1]).toMatchObject({ id: 'llm:mock', period: { kind: 'monthly' } })
  })

  it.each([
    ['budgets.limits[0]: app "ghost" is not configured under apps', '{ limits: [{ app: ghost, limit: 1 }] }'],
    ['budgets.limits[0]: LLM "ghost" is not configured under llms', '{ limits: [{ llm: ghost, limit: 1 }] }'],
    ['budgets.limits[0]: needs exactly one of app (an app id) or llm (an LLM slug)', '{ limits: [{ app: a, llm: mock, limit: 1 }] }'],
    ['budgets.limits[0]: needs exactly one of app', '{ limits: [{ limit: 1 }] }'],
    ['budgets.limits[0].period.days: must be a whole number of days from 1 to 3660', '{ limits: [{ llm: mock, limit: 1, period: { days: 0, anchor: "2026-01-01T00:00:00Z" } }] }'],
    ['budgets.limits[0].period.days: must be a whole number', '{ limits: [{ llm: mock, limit: 1, period: { days: 1.5, anchor: "2026-01-01T00:00:00Z" } }] }'],
    ['budgets.limits[0].period.anchor: required', '{ limits: [{ llm: mock, limit: 1, period: { days: 7 } }] }'],
    ['budgets.limits[0].period.anchor: "soon" is not an ISO date-time', '{ limits: [{ llm: mock, limit: 1, period: { days: 7, anchor: soon } }] }'],
    ['budgets.limits[0].period: must be monthly or { days: N, anchor: <ISO date-time> }', '{ limits: [{ llm: mock, limit: 1, period: weekly }] }'],
    ['budgets.limits[0].limit: must be > 0', '{ limits: [{ llm: mock, limit: 0 }] }'],
    ['budgets.limits[0].thresholds[0]: must be <= 100', '{ limits: [{ llm: mock, limit: 1, thresholds: [120] }] }'],
    ['budgets.limits[0].thresholds: each percent may appear once', '{ limits: [{ llm: mock, limit: 1, thresholds: [50, 50] }] }'],
    ['two budgets have the id "app:a"', '{ limits: [{ app: a, limit: 1 }] }'],
  ])('refuses with CONFIG_INVALID: %s', (message, budgets) => {
    expect(() => parse(yaml(budgets))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }))
  })

  it('refuses a key expiry that is not an ISO date-time', () => {
    expect(() => parse(yaml('{}', '{ id: a, keys: [{ value: pb-key-00000000, expiresAt: tomorrow }] }'))).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('apps[a].keys[0].expiresAt: "tomorrow" is not an ISO date-time') }),
    )
  })
})

describe('the APIs an LLM speaks natively', () => {
  const llm = (entry: string) => parseConfig(`llms: [{ slug: x, models: [m], apiKey: k, ${entry} }]`, { baseDir: '/', env: {} }).llms[0]!

  it.each([
    ['anthropic', 'vendor: anthropic', ['anthropic.messages']],
    ["OpenAI's own server", 'vendor: openai', ['responses']],
    ["OpenAI's own server written with a trailing slash", 'vendor: openai, baseUrl: "https://api.openai.com/v1/"', ['responses']],
    ['an OpenAI-compatible server (vLLM, Ollama)', 'vendor: openai, baseUrl: "http://127.0.0.1:11434/v1"', []],
    ['the mock', 'vendor: mock', []],
  ])('default to what the vendor speaks: %s', (_name, entry, expected) => {
    expect(llm(entry).nativeApis).toEqual(expected)
  })

  it('are what the config names, an empty list meaning always translate', () => {
    expect(llm('vendor: openai, baseUrl: "http://127.0.0.1:8000/v1", nativeApis: [responses]').nativeApis).toEqual(['responses'])
    expect(llm('vendor: anthropic, nativeApis: []').nativeApis).toEqual([])
  })

  it.each([
    ['LLM "x" (openai): anthropic.messages is only for anthropic LLMs; remove it from nativeApis', 'vendor: openai, nativeApis: [anthropic.messages]'],
    ['LLM "x" (anthropic): responses is only for openai LLMs', 'vendor: anthropic, nativeApis: [anthropic.messages, responses]'],
    ['LLM "x" (mock): anthropic.messages is only for anthropic LLMs, responses is only for openai LLMs; remove them', 'vendor: mock, nativeApis: [anthropic.messages, responses]'],
    ['LLM "x" (openai): anthropic.messages is only for anthropic LLMs', 'vendor: openai, enabled: false, nativeApis: [anthropic.messages]'],
    ['llms[0].nativeApis[0]: must be one of anthropic.messages, responses', 'vendor: openai, nativeApis: [chat.completions]'],
    ['llms[0].nativeApis: must NOT have duplicate items', 'vendor: openai, nativeApis: [responses, responses]'],
  ])('refuses with CONFIG_INVALID: %s', (message, entry) => {
    expect(() => llm(entry)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }))
  })

  it('count as a change of the LLM on reload', () => {
    const before = parseConfig('llms: [{ slug: x, vendor: anthropic, apiKey: k, models: [m] }]', { baseDir: '/', env: {} })
    const after = parseConfig('llms: [{ slug: x, vendor: anthropic, apiKey: k, models: [m], nativeApis: [] }]', { baseDir: '/', env: {} })
    const noPluginChanges = { added: [], removed: [], reloaded: [], rescoped: [], rebound: [], restarted: [] }
    expect(configChanges(before, after, noPluginChanges)).toEqual({ llms: { changed: ['x'] } })
  })
})
