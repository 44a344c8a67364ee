import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
})
