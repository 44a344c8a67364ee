import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SEARCH_LANGUAGES } from '../src/datasources/search.js'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

// What the admin API says of a body or query that does not fit: the field at fault, in words a user can act on.

describe.each(DATABASES)('validation details on %s', (kind) => {
  let s: TestStudio
  beforeAll(async () => {
    s = await startStudio(kind)
    expect((await s.api('POST', '/api/v1/datasources', { slug: 'docs' })).status).toBe(201)
  })
  afterAll(() => s?.close())

  const refusal = async (method: string, url: string, body?: unknown, headers?: Record<string, string>) => {
    const answer = await s.api(method, url, body, headers)
    expect([answer.status, answer.json.error.code]).toEqual([422, 'VALIDATION_FAILED'])
    return answer.json.error.details as Array<{ path: string; message: string }>
  }

  it('refuses a NUL character in any string of a body or query at its field, before the database sees it', async () => {
    const nul = 'must not contain the NUL character'
    expect(await refusal('POST', '/api/v1/apps', { slug: 'nul-app', name: 'a\u0000b' })).toEqual([{ path: '/name', message: nul }])
    expect(await refusal('POST', '/api/v1/apps', { slug: 'nul-app', metadata: { note: ['ok', 'x\u0000'], 'a/b': { 'c~d': '\u0000' } } })).toEqual(
      expect.arrayContaining([
        { path: '/metadata/note/1', message: nul },
        { path: '/metadata/a~1b/c~0d', message: nul },
      ]),
    )
    expect(await refusal('POST', '/api/v1/apps', { slug: 'nul-app', metadata: { 'a\u0000b': 1 } })).toEqual([{ path: '/metadata', message: 'must not have a field name with the NUL character' }])
    expect(await refusal('POST', '/api/v1/datasources/docs/query', { query: 'a\u0000b' })).toEqual([{ path: '/query', message: nul }])
    expect(await refusal('POST', '/api/v1/datasources/docs/documents?name=%00.txt', 'hello', { 'content-type': 'text/plain' })).toEqual([{ path: 'query/name', message: nul }])
    expect(await refusal('GET', '/api/v1/apps?q=a%00b')).toEqual([{ path: 'query/q', message: nul }])
    expect((await s.api('GET', '/api/v1/apps')).json.items).toEqual([])
  })

  it("takes a document's text without its NUL characters, uploaded raw or as JSON", async () => {
    const raw = await s.api('POST', '/api/v1/datasources/docs/documents?name=raw.txt', 'zebra\u0000crossing', { 'content-type': 'text/plain' })
    expect([raw.status, raw.json.bytes]).toEqual([201, 'zebracrossing'.length])
    const json = await s.api('POST', '/api/v1/datasources/docs/documents', { name: 'json.md', contentType: 'text/markdown', content: '\u0000giraffe\u0000 neck' })
    expect([json.status, json.json.bytes]).toEqual([201, 'giraffe neck'.length])
    const found = await s.api('POST', '/api/v1/datasources/docs/query', { query: 'zebracrossing or giraffe' })
    expect(found.json.items.map((item: { content: string }) => item.content).sort()).toEqual(['giraffe neck', 'zebracrossing'])
  })

  it('says in words what a slug, an email, a URL and a choice of values must be, at the same path', async () => {
    expect(await refusal('POST', '/api/v1/apps', { slug: 'Not A Slug' })).toEqual([{ path: '/slug', message: 'must be lower-case letters, digits and dashes, starting with a letter or digit, and not a UUID' }])
    expect(await refusal('POST', '/api/v1/users', { email: 'nobody', role: 'portal' })).toEqual([{ path: '/email', message: 'must be an email address' }])
    expect(await refusal('POST', '/api/v1/llms', { slug: 'x', vendor: 'openai', baseUrl: 'ftp://example.com', models: ['m'] })).toEqual([
      { path: '/baseUrl', message: 'must be an http:// or https:// URL with a host, and no user:password@' },
    ])
    expect((await s.api('POST', '/api/v1/llms', { slug: 'openai', vendor: 'openai', models: ['m'] })).status).toBe(201)
    expect(await refusal('PATCH', '/api/v1/llms/openai', { baseUrl: 'https://user:secret@example.com' }, { 'if-match': '"1"' })).toEqual([
      { path: '/baseUrl', message: 'must be an http:// or https:// URL with a host, and no user:password@, or empty for the default' },
    ])
    expect(await refusal('POST', '/api/v1/chat/conversations', { target: { kind: 'robot', name: 'x' } })).toEqual([{ path: '/target/kind', message: 'must be one of: agent, llm' }])
    expect(await refusal('POST', '/api/v1/datasources', { slug: 'other', language: 'klingon' })).toEqual([{ path: '/language', message: `must be one of: ${SEARCH_LANGUAGES.join(', ')}` }])
    expect(await refusal('POST', '/api/v1/llms', { slug: 'x', vendor: 'bogus', models: ['m'] })).toEqual([{ path: '/vendor', message: 'must be one of: mock, openai, anthropic' }])
    // Lengths and types read well as they were.
    expect(await refusal('POST', '/api/v1/apps', { slug: 'a'.repeat(64) })).toEqual([{ path: '/slug', message: 'must NOT have more than 63 characters' }])
  })
})
