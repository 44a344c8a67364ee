import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

const filler = (topic: string, sentences: number) => Array.from({ length: sentences }, (_, i) => `Paragraph ${i} about ${topic} keeps going with ordinary words.`).join(' ')

const HANDBOOK = `# Handbook

Welcome to the company handbook.

## Travel

${filler('trains and hotels', 30)}

## Refunds

Customers may ask for a refund within thirty days of purchase. Refunds are paid back to the original card.

## Security

${filler('passwords and badges', 30)}
`

const NOTES = `Meeting notes from Tuesday.

The team agreed to ship the gateway on Friday, after the budget review.`

describe.each(DATABASES)('datasources on %s', (kind) => {
  let s: TestStudio
  let handbook: { id: string; chunks: number }
  const upload = (datasource: string, body: string | Buffer, contentType: string, name?: string) =>
    s.api('POST', `/api/v1/datasources/${datasource}/documents${name === undefined ? '' : `?name=${encodeURIComponent(name)}`}`, body, { 'content-type': contentType })
  const query = (datasource: string, body: unknown) => s.api('POST', `/api/v1/datasources/${datasource}/query`, body)

  beforeAll(async () => {
    s = await startStudio(kind)
  })
  afterAll(() => s?.close())

  it('creates datasources (english by default), refuses a duplicate slug and a language outside the list', async () => {
    const created = await s.api('POST', '/api/v1/datasources', { slug: 'docs', description: 'Company docs' })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ slug: 'docs', name: 'docs', description: 'Company docs', language: 'english', documents: 0, chunks: 0, version: 1 })
    expect((await s.api('POST', '/api/v1/datasources', { slug: 'docs' })).status).toBe(409)
    const badLanguage = await s.api('POST', '/api/v1/datasources', { slug: 'other', language: 'klingon' })
    expect(badLanguage.status).toBe(422)
    expect(badLanguage.json.error.details).toEqual([expect.objectContaining({ path: '/language' })])
    expect((await s.api('POST', '/api/v1/datasources', { slug: 'de', language: 'german' })).json.language).toBe('german')
  })

  it('takes a raw markdown body with ?name= and a JSON text document, chunked at headings with each heading kept', async () => {
    const markdown = await upload('docs', HANDBOOK, 'text/markdown; charset=utf-8', 'handbook.md')
    expect(markdown.status).toBe(201)
    expect(markdown.json).toMatchObject({ name: 'handbook.md', contentType: 'text/markdown', bytes: Buffer.byteLength(HANDBOOK) })
    handbook = markdown.json
    const text = await s.api('POST', '/api/v1/datasources/docs/documents', { name: 'notes.txt', content: NOTES, contentType: 'text/plain' })
    expect(text.status).toBe(201)
    expect(text.json.chunks).toBe(1)

    const chunks = await s.studio.database.db.selectFrom('chunks').select(['ordinal', 'content']).where('document_id', '=', handbook.id).orderBy('ordinal').execute()
    expect(chunks.map((c) => c.ordinal)).toEqual([...Array(handbook.chunks).keys()])
    expect(handbook.chunks).toBeGreaterThanOrEqual(5)
    for (const chunk of chunks) expect(chunk.content.length).toBeLessThanOrEqual(1000)
    expect(chunks[0]!.content).toBe('# Handbook\n\nWelcome to the company handbook.')
    for (const heading of ['## Travel', '## Refunds', '## Security']) expect(chunks.find((c) => c.content.includes(heading))!.content.startsWith(`${heading}\n\n`)).toBe(true)

    const listed = await s.api('GET', '/api/v1/datasources/docs/documents?sort=name')
    expect(listed.json.items.map((d: { name: string }) => d.name)).toEqual(['handbook.md', 'notes.txt'])
    expect((await s.api('GET', '/api/v1/datasources/docs')).json).toMatchObject({ documents: 2, chunks: handbook.chunks + 1 })
  })

  it('ranks the chunk that answers the query first, across documents, with stemming', async () => {
    const refunds = await query('docs', { query: 'refunded purchases' })
    expect(refunds.status).toBe(200)
    expect(refunds.json.items[0]).toMatchObject({ documentId: handbook.id, documentName: 'handbook.md', content: expect.stringContaining('## Refunds') })
    expect(refunds.json.items[0].score).toBeGreaterThan(0)

    const notes = await query('docs', { query: 'gateway budget', limit: 1 })
    expect(notes.json.items).toHaveLength(1)
    expect(notes.json.items[0]).toMatchObject({ documentName: 'notes.txt', ordinal: 0 })

    const phrase = await query('docs', { query: '"original card" or badges -trains' })
    const scores = phrase.json.items.map((m: { score: number }) => m.score)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    expect(phrase.json.items.some((m: { content: string }) => m.content.includes('original card'))).toBe(true)
    expect(phrase.json.items.every((m: { content: string }) => !m.content.includes('trains'))).toBe(true)
  })

  it('never answers 500 to a hostile query; a blank one is 422', async () => {
    for (const hostile of ["'", '"unclosed', 'a & b | !c', '!!!(((', '-', 'or', 'the', "'; drop table chunks; --", 'x'.repeat(3000), 'refund '.repeat(1460), '🦄 ünïcødé \\ \u0001']) {
      const response = await query('docs', { query: hostile })
      expect(response.status, hostile.slice(0, 30)).toBe(200)
      expect(Array.isArray(response.json.items)).toBe(true)
    }
    for (const bad of [{ query: '   \n\t' }, { query: '' }, { query: 'x', limit: 0 }, { query: 'x', limit: 51 }, { query: 'x'.repeat(20_000) }, { query: 7 }]) {
      const response = await query('docs', bad)
      expect(response.status, JSON.stringify(bad).slice(0, 40)).toBe(422)
      expect(response.json.error.code).toBe('VALIDATION_FAILED')
    }
    expect((await query('nope', { query: 'refund' })).status).toBe(404)
  })

  it('refuses uploads without a name, blank, of another type, too large, or to an unknown datasource', async () => {
    const noName = await upload('docs', 'hello', 'text/plain')
    expect(noName.json.error.details).toEqual([expect.objectContaining({ path: 'query/name' })])
    expect((await upload('docs', ' \n\n ', 'text/markdown', 'blank.md')).json.error.details).toEqual([expect.objectContaining({ path: '/content' })])
    const badJson = await s.api('POST', '/api/v1/datasources/docs/documents', { name: 'x', content: 'y', contentType: 'text/html' })
    expect(badJson.status).toBe(422)
    expect(badJson.json.error.details.map((d: { path: string }) => d.path)).toContain('/contentType')
    expect((await upload('docs', '<a/>', 'application/xml', 'a.xml')).status).toBe(415)
    // No body at all, with or without a content type: a clear error, not a crash reading a missing body.
    const noBody = await s.api('POST', '/api/v1/datasources/docs/documents')
    expect(noBody.status).toBe(415)
    expect(noBody.json.error.code).toBe('UNSUPPORTED_CONTENT_TYPE')
    const emptyJson = await s.api('POST', '/api/v1/datasources/docs/documents', undefined, { 'content-type': 'application/json' })
    expect(emptyJson.status).toBe(422)
    expect(emptyJson.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/', message: 'must be object' }] })
    expect((await upload('docs', '', 'text/plain', 'empty.txt')).json.error.details).toEqual([expect.objectContaining({ path: '/content' })])
    const tooLarge = await upload('docs', 'word '.repeat(1_100_000), 'text/plain', 'big.txt')
    expect(tooLarge.status).toBe(413)
    expect(tooLarge.json.error).toMatchObject({ code: 'BODY_TOO_LARGE', message: 'the request body is larger than 5 MB, the limit of this route' })
    const binary = await upload('docs', Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x00, 0xc3, 0x28]), 'text/markdown', 'junk.md')
    expect(binary.status).toBe(422)
    expect(binary.json.error.details).toEqual([{ path: '/content', message: 'is not valid UTF-8' }])
    // 60 kB of headings alone would be 30,000 chunks (5 MB, 2.6 million): refused before anything is written.
    const fragmented = await upload('docs', '#\n'.repeat(30_000), 'text/markdown', 'headings.md')
    expect(fragmented.status).toBe(422)
    expect(fragmented.json.error.details).toEqual([{ path: '/content', message: 'is more than 20000 chunks' }])
    expect((await upload('nope', 'hello', 'text/plain', 'a.txt')).status).toBe(404)
    expect((await s.api('GET', '/api/v1/datasources/nope/documents')).status).toBe(404)
  })

  it('indexes a document of almost 5 MB', async () => {
    const big = Array.from({ length: 9000 }, (_, i) => `## Section ${i}\n\n${i === 4321 ? 'The secret ingredient is cardamom.' : filler(`topic ${i}`, 8)}`).join('\n\n')
    expect(Buffer.byteLength(big)).toBeGreaterThan(4 * 1024 * 1024)
    const started = Date.now()
    const created = await upload('de', big, 'text/markdown', 'big.md')
    expect(created.status).toBe(201)
    expect(created.json.chunks).toBe(9000)
    const found = await query('de', { query: 'cardamom' })
    expect(found.json.items.map((m: { content: string }) => m.content)).toEqual(['## Section 4321\n\nThe secret ingredient is cardamom.'])
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  it('reindexes on a language change, deletes a document with its chunks, and a datasource with all of them', async () => {
    const de = await s.api('GET', '/api/v1/datasources/de')
    const notes = await s.api('POST', '/api/v1/datasources/de/documents', { name: 'haus.txt', content: 'Die Häuser stehen am Fluss.', contentType: 'text/plain' })
    expect((await query('de', { query: 'Haus' })).json.items.map((m: { documentName: string }) => m.documentName)).toEqual(['haus.txt'])
    const simple = await s.api('PATCH', `/api/v1/datasources/${de.json.id}`, { language: 'simple' }, { 'if-match': String(de.json.version) })
    expect(simple.status).toBe(200)
    expect((await query('de', { query: 'Haus' })).json.items).toEqual([])
    expect((await query('de', { query: 'Häuser' })).json.items).toHaveLength(1)

    const removed = await s.api('DELETE', `/api/v1/datasources/de/documents/${notes.json.id}`)
    expect(removed.status).toBe(204)
    expect(await s.studio.database.db.selectFrom('chunks').select('id').where('document_id', '=', notes.json.id).execute()).toEqual([])
    expect((await s.api('DELETE', `/api/v1/datasources/de/documents/${notes.json.id}`)).status).toBe(404)
    expect((await s.api('DELETE', `/api/v1/datasources/docs/documents/${handbook.id}x`)).status).toBe(404)

    const audit = await s.studio.database.db.selectFrom('audit_log').select(['action', 'object_id']).where('object_type', '=', 'document').execute()
    expect(audit).toEqual(expect.arrayContaining([{ action: 'create', object_id: notes.json.id }, { action: 'delete', object_id: notes.json.id }]))

    const docs = await s.api('GET', '/api/v1/datasources/docs')
    expect((await s.api('DELETE', `/api/v1/datasources/${docs.json.id}`, undefined, { 'if-match': '"99"' })).status).toBe(412)
    expect((await s.api('DELETE', `/api/v1/datasources/${docs.json.id}`, undefined, { 'if-match': String(docs.json.version) })).status).toBe(204)
    expect(await s.studio.database.db.selectFrom('chunks').select('id').where('datasource_id', '=', docs.json.id).execute()).toEqual([])
    expect((await query(docs.json.id, { query: 'refund' })).status).toBe(404)
  })
})
