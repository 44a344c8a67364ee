import { configFromDocument } from '@plugboard/gateway'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

const DOCUMENT = {
  server: { maxBodyBytes: 2097152, host: '0.0.0.0', port: 9999 },
  llms: [
    { slug: 'mock', vendor: 'mock', models: ['mock-gpt', 'mock-mini'], mock: { latencyMs: 5 } },
    { slug: 'openai', name: 'OpenAI', description: 'The main vendor', vendor: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-live-secret-9876', models: ['gpt-4o'], defaultModel: 'gpt-4o', nativeApis: ['responses'] },
  ],
  apps: [
    { id: 'demo', name: 'Demo', keys: [{ value: 'pb-config-test-key-01' }, { value: 'pb-config-test-key-02', revoked: true }], allowedLlms: ['mock'], metadata: { team: 'a' } },
    { id: 'ops', keys: [], allowedLlms: ['mock', 'openai'], enabled: false },
  ],
  pricing: { 'mock-gpt': { input: 0.5, output: 1.5 } },
  plugins: [{ name: 'headers', source: 'file:///opt/plugins/response-headers', priority: 5, config: { headers: { 'x-a': 'b' } } }],
  collector: { batchSize: 10 },
}

describe.each(DATABASES)('config export and apply on %s', (kind) => {
  let s: TestStudio
  beforeAll(async () => {
    s = await startStudio(kind)
  })
  afterAll(() => s?.close())

  const apply = (document: unknown, dryRun = false) => s.api('POST', `/api/v1/config/apply${dryRun ? '?dryRun=true' : ''}`, document)
  const exported = async (withSecrets = false) => {
    const response = await s.studio.api.inject({ method: 'GET', url: `/api/v1/config/export?withSecrets=${withSecrets}`, headers: { authorization: `Bearer pbt_test_admin_token_0123456789abcdef` } })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('application/yaml')
    return { text: response.body, document: parseYaml(response.body) as Record<string, any> }
  }

  it('shows the changes of a dry run and changes nothing', async () => {
    const dry = await apply(DOCUMENT, true)
    expect(dry.status).toBe(200)
    expect(dry.json.applied).toBe(false)
    expect(dry.json.changes).toEqual(
      expect.arrayContaining([
        { section: 'llms', key: 'mock', action: 'create' },
        { section: 'apps', key: 'demo', action: 'create' },
        { section: 'plugins', key: 'headers', action: 'create' },
      ]),
    )
    expect((await s.api('GET', '/api/v1/llms')).json.items).toEqual([])
  })

  it('applies a document, then applying it again or applying its export changes nothing', async () => {
    const first = await apply(DOCUMENT)
    expect(first.json.applied).toBe(true)
    expect(first.json.changes.length).toBeGreaterThan(5)
    expect((await apply(DOCUMENT)).json.changes).toEqual([])

    const { document, text } = await exported()
    expect(text).not.toContain('sk-live-secret')
    expect(document.llms.find((llm: { slug: string }) => llm.slug === 'openai').apiKeyEncrypted).toBeUndefined()
    expect(document.llms.find((llm: { slug: string }) => llm.slug === 'openai').description).toBe('The main vendor')
    expect((await s.api('GET', '/api/v1/llms/openai')).json.description).toBe('The main vendor')
    // Where a gateway listens is its command line's, not Studio's.
    expect(document.server).toEqual({ maxBodyBytes: 2097152 })
    expect((await apply(document)).json.changes).toEqual([])
    const keys = document.apps.find((app: { id: string }) => app.id === 'demo').keys
    expect(keys).toHaveLength(2)
    expect(keys).toEqual(expect.arrayContaining([{ hash: expect.stringMatching(/^sha256:/) }, { hash: expect.stringMatching(/^sha256:/), revoked: true }]))
  })

  it('exports vendor keys only with secrets, encrypted so that a standalone gateway with the master key runs it', async () => {
    const { document, text } = await exported(true)
    expect(text).not.toContain('sk-live-secret')
    const config = configFromDocument(document, { env: s.studio.context.masterKey.env, baseDir: '/' })
    expect(config.llms.find((llm) => llm.slug === 'openai')?.apiKey).toBe('sk-live-secret-9876')
    expect(config.llms.map((llm) => [llm.slug, llm.nativeApis])).toEqual([['mock', []], ['openai', ['responses']]])
    expect(config.apps.map((app) => app.id)).toEqual(['demo'])
    expect(() => configFromDocument(document, { env: { PLUGBOARD_MASTER_KEY: 'another key' }, baseDir: '/' })).toThrow(/does not decrypt/)
  })

  it("reads an LLM's native APIs, [] as always translate and absent as the vendor's default", async () => {
    expect((await s.api('GET', '/api/v1/llms/openai')).json.nativeApis).toEqual(['responses'])
    const withLlm = (fields: object) => ({ ...DOCUMENT, llms: [DOCUMENT.llms[0], { ...DOCUMENT.llms[1], ...fields }] })
    const translate = await apply(withLlm({ nativeApis: [] }))
    expect(translate.json.changes).toEqual([{ section: 'llms', key: 'openai', action: 'update', fields: ['nativeApis'] }])
    expect((await exported()).document.llms.find((llm: { slug: string }) => llm.slug === 'openai').nativeApis).toEqual([])
    const vendorDefault = await apply(withLlm({ nativeApis: undefined }))
    expect(vendorDefault.json.changes).toEqual([{ section: 'llms', key: 'openai', action: 'update', fields: ['nativeApis'] }])
    expect((await s.api('GET', '/api/v1/llms/openai')).json.nativeApis).toBeNull()
    expect((await exported()).document.llms.find((llm: { slug: string }) => llm.slug === 'openai')).not.toHaveProperty('nativeApis')
    expect((await apply(DOCUMENT)).json.changes).toEqual([{ section: 'llms', key: 'openai', action: 'update', fields: ['nativeApis'] }])
  })

  it('reconciles only the sections a document has, and names updated fields', async () => {
    const changed = await apply({ pricing: { 'mock-gpt': { input: 1, output: 1.5 }, 'mock-mini': { input: 0.1, output: 0.2 } } })
    expect(changed.json.changes).toEqual([
      { section: 'pricing', key: 'mock-gpt', action: 'update', fields: ['input'] },
      { section: 'pricing', key: 'mock-mini', action: 'create' },
    ])
    expect((await s.api('GET', '/api/v1/llms')).json.items).toHaveLength(2)
  })

  it.each([
    ['an unknown LLM in an app', { apps: [{ id: 'x', keys: [], allowedLlms: ['nope'] }] }, /unknown LLMs: nope/],
    ['an unknown key', { llms: [{ slug: 'a', vendor: 'mock', models: ['m'], colour: 'red' }] }, /unknown key/],
    ['a native API its vendor does not speak', { llms: [{ slug: 'a', vendor: 'mock', models: ['m'], nativeApis: ['responses'] }] }, /LLM "a" \(mock\): responses is only for openai LLMs/],
    ['a document that is not a mapping', [1, 2], /must be object|mapping/],
    ['an unknown owner', { apps: [{ id: 'x', owner: 'ghost@example.com', keys: [] }] }, /not a Studio user/],
    ['an llms section that is not a list', { llms: 5 }, /llms: must be array/],
  ])('refuses %s with 422 CONFIG_APPLY_INVALID and changes nothing', async (_name, document, message) => {
    const before = (await exported()).text.split('\n').slice(1).join('\n')
    const refused = await apply(document)
    expect(refused.status).toBe(422)
    expect(refused.json.error.code).toBe('CONFIG_APPLY_INVALID')
    expect(refused.json.error.message).toMatch(message)
    expect((await exported()).text.split('\n').slice(1).join('\n')).toBe(before)
  })

  it('applies documents sent at once one after another: the section ends as one of them has it', async () => {
    const documents = Array.from({ length: 6 }, (_, i) => ({ pricing: { [`concurrent-${i}`]: { input: i, output: 1 } } }))
    const applied = await Promise.all(documents.map((document) => apply(document)))
    expect(applied.map((a) => a.status)).toEqual(documents.map(() => 200))
    const models = (await s.api('GET', '/api/v1/model-prices')).json.items.map((item: { model: string }) => item.model)
    expect(models).toHaveLength(1)
    expect(models[0]).toMatch(/^concurrent-\d$/)
  })

  it('takes YAML text and records the apply in the audit log as its actor', async () => {
    const response = await s.studio.api.inject({
      method: 'POST',
      url: '/api/v1/config/apply',
      headers: { authorization: 'Bearer pbt_test_admin_token_0123456789abcdef', 'content-type': 'application/yaml' },
      payload: 'pricing:\n  mock-gpt: { input: 2, output: 2 }\n',
    })
    expect(response.statusCode).toBe(200)
    const entry = await s.studio.context.db.selectFrom('audit_log').selectAll().where('action', '=', 'config_apply').orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(entry.actor_type).toBe('token')
    expect(JSON.stringify(entry.after)).toContain('mock-gpt')
    const all = await s.studio.context.db.selectFrom('audit_log').select(['before', 'after']).execute()
    expect(JSON.stringify(all)).not.toContain('sk-live-secret')
  })
})
