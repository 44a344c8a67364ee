import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** The tool server the tests call: records each request, answers by path. */
async function startToolServer(): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
      const path = req.url!.split('?')[0]!
      if (path.endsWith('/slow')) return // never answers: the call must time out
      if (path.endsWith('/big')) {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end('x'.repeat(2 * 1024 * 1024))
        return
      }
      if (path.endsWith('/text')) {
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('no such thing')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      // The path only: a query credential must not come back through the echo.
      res.end(JSON.stringify({ ok: true, method: req.method, path }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function petsSpec(serverUrl: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'Pets', version: '1' },
    servers: [{ url: `${serverUrl}/base` }],
    components: {
      parameters: { PetId: { name: 'id', in: 'path', required: true, schema: { type: 'string' } } },
      requestBodies: { Pet: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } },
    },
    paths: {
      '/pets/{id}': {
        parameters: [{ $ref: '#/components/parameters/PetId' }],
        get: {
          operationId: 'getPet',
          summary: 'One pet',
          parameters: [
            { name: 'fields', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
            { name: 'limit', in: 'query', required: true, schema: { type: 'integer' } },
            { name: 'X-Trace', in: 'header' },
            { name: 'session', in: 'cookie' },
          ],
        },
        put: { operationId: 'putPet', requestBody: { $ref: '#/components/requestBodies/Pet' } },
      },
      '/ping': { get: {} },
      '/slow': { get: { operationId: 'slow' } },
      '/big': { get: { operationId: 'big' } },
      '/text': { get: { operationId: 'text' } },
    },
  }
}

const YAML_SPEC = `
openapi: 3.0.3
info: { title: Weather, version: "2" }
servers:
  - url: "{scheme}://weather.example.com/v2"
    variables: { scheme: { default: https } }
paths:
  /forecast/{city}:
    get:
      operationId: forecast
      summary: Forecast for a city
      parameters:
        - { name: days, in: query, schema: { type: integer } }
`

describe.each(DATABASES)('tools on %s', (kind) => {
  let s: TestStudio
  let upstream: Awaited<ReturnType<typeof startToolServer>>
  const responses: string[] = []
  const api = async (method: string, url: string, body?: unknown) => {
    const response = await s.api(method, url, body)
    responses.push(JSON.stringify(response.json ?? null))
    return response
  }
  const execute = (tool: string, operation: string, input: unknown = {}) => api('POST', `/api/v1/tools/${tool}/operations/${encodeURIComponent(operation)}/execute`, input)

  beforeAll(async () => {
    ;[s, upstream] = await Promise.all([startStudio(kind), startToolServer()])
  })
  afterAll(async () => {
    await upstream?.close()
    await s?.close()
  })

  it('imports a JSON document: operations (by path, then method) with ids, parameters (refs resolved, cookies left out) and bodies; the credential only as a hint', async () => {
    const created = await api('POST', '/api/v1/tools', { slug: 'pets', spec: petsSpec(upstream.url), auth: { type: 'bearer' }, credential: 'tok-bearer-secret-9876' })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ slug: 'pets', name: 'pets', baseUrl: `${upstream.url}/base`, auth: { type: 'bearer' }, credentialHint: '…9876', version: 1 })
    expect(created.json.operations.map((o: { id: string }) => o.id)).toEqual(['big', 'getPet', 'putPet', 'GET /ping', 'slow', 'text'])
    const getPet = created.json.operations[1]
    expect(getPet).toMatchObject({ method: 'GET', path: '/pets/{id}', summary: 'One pet', hasBody: false })
    expect(getPet.parameters.map((p: { in: string; name: string; required: boolean }) => `${p.in}:${p.name}:${p.required}`)).toEqual(['path:id:true', 'query:fields:false', 'query:limit:true', 'header:X-Trace:false'])
    expect(created.json.operations[2]).toMatchObject({ id: 'putPet', method: 'PUT', hasBody: true, bodyRequired: true, bodyContentType: 'application/json' })

    const listed = await api('GET', '/api/v1/tools/pets/operations')
    expect(listed.status).toBe(200)
    expect(listed.json.items).toEqual(created.json.operations)
  })

  it('imports a YAML document, the base URL from its first server with variables filled in', async () => {
    const created = await api('POST', '/api/v1/tools', { slug: 'weather', description: 'Forecasts', spec: YAML_SPEC })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ baseUrl: 'https://weather.example.com/v2', auth: { type: 'none' }, credentialHint: null })
    expect(created.json.operations).toEqual([
      expect.objectContaining({ id: 'forecast', method: 'GET', path: '/forecast/{city}', summary: 'Forecast for a city', parameters: [expect.objectContaining({ name: 'days', in: 'query', required: false }), expect.objectContaining({ name: 'city', in: 'path', required: true })] }),
    ])
  })

  it('executes an operation: path parameters encoded, query built, header sent, bearer credential in Authorization', async () => {
    upstream.seen.length = 0
    const result = await execute('pets', 'getPet', { parameters: { path: { id: 'a/b c?#' }, query: { limit: 5, fields: ['name', 'age'] }, header: { 'X-Trace': 't-1' } } })
    expect(result.status).toBe(200)
    expect(result.json).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' }, body: { ok: true, method: 'GET' } })
    const [seen] = upstream.seen
    expect(seen!.url).toBe('/base/pets/a%2Fb%20c%3F%23?limit=5&fields=name&fields=age')
    expect(seen!.headers.authorization).toBe('Bearer tok-bearer-secret-9876')
    expect(seen!.headers['x-trace']).toBe('t-1')

    upstream.seen.length = 0
    const put = await execute('pets', 'putPet', { parameters: { path: { id: 7 } }, body: { name: 'Rex' } })
    expect(put.json.status).toBe(200)
    expect(upstream.seen[0]).toMatchObject({ method: 'PUT', url: '/base/pets/7', body: '{"name":"Rex"}' })
    expect(upstream.seen[0]!.headers['content-type']).toBe('application/json')

    const byGeneratedId = await execute('pets', 'GET /ping')
    expect(byGeneratedId.json.body.path).toBe('/base/ping')
    const withoutBody = await api('POST', `/api/v1/tools/pets/operations/${encodeURIComponent('GET /ping')}/execute`)
    expect(withoutBody.json).toMatchObject({ status: 200, body: { path: '/base/ping' } })

    const text = await execute('pets', 'text')
    expect(text.json).toEqual({ status: 404, headers: { 'content-type': 'text/plain' }, body: 'no such thing' })
  })

  it('sends a header or query credential where the auth names it', async () => {
    const spec = petsSpec(upstream.url)
    expect((await api('POST', '/api/v1/tools', { slug: 'pets-header', spec, auth: { type: 'header', name: 'X-Api-Key' }, credential: 'hdr-secret-1111' })).status).toBe(201)
    expect((await api('POST', '/api/v1/tools', { slug: 'pets-query', spec, auth: { type: 'query', name: 'api_key' }, credential: 'qry-secret-2222' })).status).toBe(201)
    upstream.seen.length = 0
    await execute('pets-header', 'GET /ping')
    await execute('pets-query', 'GET /ping')
    expect(upstream.seen[0]!.headers['x-api-key']).toBe('hdr-secret-1111')
    expect(upstream.seen[0]!.headers.authorization).toBeUndefined()
    expect(upstream.seen[1]!.url).toBe('/base/ping?api_key=qry-secret-2222')
  })

  it('refuses input that does not fit the operation (422 with paths), a path that would leave the base, and an unknown operation (404)', async () => {
    const missing = await execute('pets', 'getPet', { parameters: { header: { 'X-Other': 'x', authorization: 'Bearer mine' } } })
    expect(missing.status).toBe(422)
    expect(missing.json.error.code).toBe('VALIDATION_FAILED')
    expect(missing.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/parameters/path/id', '/parameters/query/limit', '/parameters/header/X-Other', '/parameters/header/authorization']))

    const traversal = await execute('pets', 'getPet', { parameters: { path: { id: '..' }, query: { limit: 1 } } })
    expect(traversal.status).toBe(422)
    expect(traversal.json.error.details).toEqual([{ path: '/parameters/path/id', message: 'may not be . or ..' }])

    const noBody = await execute('pets', 'putPet', { parameters: { path: { id: 1 } } })
    expect(noBody.json.error.details).toEqual([{ path: '/body', message: 'is required' }])
    const badHeader = await execute('pets', 'getPet', { parameters: { path: { id: 1 }, query: { limit: 1 }, header: { 'X-Trace': 'a\r\nInjected: yes' } } })
    expect(badHeader.status).toBe(422)

    const unknown = await execute('pets', 'nope')
    expect(unknown.status).toBe(404)
    expect(unknown.json.error.code).toBe('TOOL_OPERATION_NOT_FOUND')
    expect((await execute('no-such-tool', 'getPet')).status).toBe(404)
  })

  it('answers 502 TOOL_CALL_FAILED on a timeout, an answer over 1 MB and an unreachable server', async () => {
    const started = Date.now()
    const slow = await execute('pets', 'slow', { timeoutMs: 300 })
    expect(slow.status).toBe(502)
    expect(slow.json.error).toMatchObject({ code: 'TOOL_CALL_FAILED', message: expect.stringContaining('timed out after 300 ms') })
    expect(Date.now() - started).toBeLessThan(5_000)

    const big = await execute('pets', 'big')
    expect(big.status).toBe(502)
    expect(big.json.error.message).toContain('larger than 1048576 bytes')

    const closed = await api('POST', '/api/v1/tools', { slug: 'pets-closed', spec: petsSpec('http://127.0.0.1:9'), auth: { type: 'query', name: 'key' }, credential: 'closed-secret-3333' })
    const unreachable = await execute(closed.json.id, 'GET /ping')
    expect(unreachable.status).toBe(502)
    expect(unreachable.json.error.code).toBe('TOOL_CALL_FAILED')
  })

  it('refuses documents that are no OpenAPI 3 tool with 422 TOOL_SPEC_INVALID saying why', async () => {
    const cases: [unknown, string][] = [
      [{ swagger: '2.0', info: {}, paths: { '/a': { get: {} } } }, 'Swagger 2.0'],
      [{ openapi: '4.0.0', paths: {} }, 'not 3.0.x or 3.1.x'],
      [{ openapi: '3.0.0', info: {}, paths: {} }, 'no operations'],
      [{ openapi: '3.1.0', info: {}, paths: { '/a': { get: { parameters: [{ $ref: '#/components/parameters/Nope' }] } } } }, '$ref "#/components/parameters/Nope" names nothing'],
      [{ openapi: '3.1.0', info: {}, paths: { '/a': { get: { operationId: 'x' }, post: { operationId: 'x' } } } }, 'two operations have the id "x"'],
      ['openapi: 3.0.0\npaths: [unclosed', 'not valid YAML'],
      ['{"openapi": "3.0.0",', 'not valid JSON'],
      ['a: &a [*a, *a]\nb: *a', 'refers to itself'],
      ['just text', 'not an object'],
    ]
    for (const [spec, reason] of cases) {
      const response = await api('POST', '/api/v1/tools', { slug: 'bad', spec, baseUrl: 'http://127.0.0.1:9' })
      expect(response.status, reason).toBe(422)
      expect(response.json.error.code, reason).toBe('TOOL_SPEC_INVALID')
      expect(response.json.error.message, reason).toContain(reason)
    }
    const relativeServer = await api('POST', '/api/v1/tools', { slug: 'bad', spec: { ...petsSpec(''), servers: [{ url: '/api' }] } })
    expect(relativeServer.json.error.details).toEqual([expect.objectContaining({ path: '/baseUrl' })])
    const authWithoutName = await api('POST', '/api/v1/tools', { slug: 'bad', spec: petsSpec(upstream.url), auth: { type: 'header' } })
    expect(authWithoutName.json.error.details).toEqual([expect.objectContaining({ path: '/auth/name' })])
    const credentialWithoutAuth = await api('POST', '/api/v1/tools', { slug: 'bad', spec: petsSpec(upstream.url), credential: 'nowhere-secret' })
    expect(credentialWithoutAuth.json.error.details).toEqual([expect.objectContaining({ path: '/credential' })])
    expect((await api('POST', '/api/v1/tools', { slug: 'pets', spec: petsSpec(upstream.url) })).status).toBe(409)
  })

  it('updates the credential and the document with If-Match; the credential is in no answer and no audit entry', async () => {
    const pets = await api('GET', '/api/v1/tools/pets')
    const updated = await api('PATCH', `/api/v1/tools/${pets.json.id}`, { credential: 'tok-rotated-secret-5555', spec: YAML_SPEC.replace('operationId: forecast', 'operationId: forecastV3') })
    expect(updated.status).toBe(200)
    expect(updated.json).toMatchObject({ credentialHint: '…5555', baseUrl: `${upstream.url}/base`, version: 2 })
    expect(updated.json.operations.map((o: { id: string }) => o.id)).toEqual(['forecastV3'])
    const none = await api('PATCH', `/api/v1/tools/${pets.json.id}`, { auth: { type: 'none' } })
    expect(none.json).toMatchObject({ auth: { type: 'none' }, credentialHint: null })

    const audit = await s.studio.database.db.selectFrom('audit_log').selectAll().where('object_type', '=', 'tool').execute()
    expect(audit.length).toBeGreaterThanOrEqual(6)
    const everything = JSON.stringify(audit) + responses.join('\n')
    for (const secret of ['tok-bearer-secret', 'tok-rotated-secret', 'hdr-secret', 'qry-secret', 'closed-secret']) expect(everything).not.toContain(secret)
  })
})
