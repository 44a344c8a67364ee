import { describe, expect, it } from 'vitest'
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js'
import { createTestHost } from '@plugboard/sdk/testing'
import { McpServerPlugin } from './mcp-server.js'

const host = await createTestHost(new McpServerPlugin({ now: () => new Date('2025-05-04T12:30:00.000Z') }))

const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }

/** POSTs a body to /mcp as the official MCP client would, unless headers say otherwise. */
async function post(body: unknown, headers: Record<string, string> = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  const response = await host.endpoint({ method: 'POST', path: '/mcp', request: { headers: { ...jsonHeaders, ...headers }, body: Buffer.from(raw) } })
  return { ...response, json: () => JSON.parse(response.body.toString()) }
}

const rpc = (id: number, method: string, params?: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method, ...(params && { params }) })
const callTool = (name: string, args: Record<string, unknown>) => post(rpc(7, 'tools/call', { name, arguments: args })).then((r) => r.json().result)

describe('McpServerPlugin (in-process)', () => {
  it('declares POST /mcp behind app-key auth, streaming, plus GET and DELETE for their 405', async () => {
    expect(host.describe().endpoints).toEqual([
      { method: 'POST', path: '/mcp', authRequired: true, streaming: true },
      { method: 'GET', path: '/mcp', authRequired: true, streaming: false },
      { method: 'DELETE', path: '/mcp', authRequired: true, streaming: false },
    ])
  })

  it('answers initialize with JSON, the requested protocol version and no session id', async () => {
    const response = await post(
      rpc(1, 'initialize', { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'test', version: '1.0.0' } }),
    )
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json')
    expect(response.headers).not.toHaveProperty('mcp-session-id')
    expect(response.json()).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      result: { protocolVersion: LATEST_PROTOCOL_VERSION, serverInfo: { name: 'plugboard-mcp-server' }, capabilities: { tools: {} } },
    })
  })

  it('accepts notifications with 202 and no body', async () => {
    const response = await post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    expect(response).toMatchObject({ status: 202, chunks: [] })
  })

  it('lists its tools with JSON Schema inputs', async () => {
    const { result } = (await post(rpc(2, 'tools/list'), { 'mcp-protocol-version': LATEST_PROTOCOL_VERSION })).json()
    expect(result.tools.map((tool: { name: string }) => tool.name)).toEqual(['calculator', 'echo', 'gateway_time', 'whoami'])
    expect(result.tools[0]).toMatchObject({
      name: 'calculator',
      inputSchema: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
      outputSchema: { type: 'object', properties: { result: { type: 'number' } } },
      annotations: { readOnlyHint: true },
    })
  })

  it('calculates 2*(3+4) = 14 as text and structured content', async () => {
    expect(await callTool('calculator', { expression: '2*(3+4)' })).toEqual({ content: [{ type: 'text', text: '14' }], structuredContent: { result: 14 } })
  })

  it.each([
    ['2*(3+', 'CALCULATOR_INVALID_EXPRESSION'],
    ['process.exit()', 'CALCULATOR_INVALID_EXPRESSION'],
    ['1/(2-2)', 'CALCULATOR_DIVISION_BY_ZERO'],
  ])('answers the bad expression %j with a tool error result (isError) whose text starts with %s', async (expression, code) => {
    const result = await callTool('calculator', { expression })
    expect(result.isError).toBe(true)
    expect(result.content[0].text).toMatch(new RegExp(`^${code}: `))
  })

  it('reports arguments that do not match the input schema as a tool error', async () => {
    const result = await callTool('calculator', { expression: 42 })
    expect(result.isError).toBe(true)
    expect(result.content[0].text).toContain('Invalid arguments for tool calculator')
  })

  it('echoes text, reads the injected clock in a time zone, and reports no app without gateway auth', async () => {
    expect(await callTool('echo', { text: 'héllo' })).toEqual({ content: [{ type: 'text', text: 'héllo' }] })
    expect((await callTool('gateway_time', { timeZone: 'Europe/Paris' })).structuredContent).toEqual({
      iso: '2025-05-04T12:30:00.000Z',
      unixMs: 1746361800000,
      timeZone: 'Europe/Paris',
      local: '2025-05-04T14:30:00+02:00',
    })
    expect((await callTool('gateway_time', { timeZone: 'Mars/Olympus' })).content[0].text).toMatch(/^GATEWAY_TIME_INVALID_ZONE: /)
    expect((await callTool('whoami', {})).structuredContent).toEqual({ authenticated: false })
  })

  it('answers an unknown method with a JSON-RPC method-not-found error over HTTP 200', async () => {
    const response = await post(rpc(3, 'resources/teleport'))
    expect(response.status).toBe(200)
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', id: 3, error: { code: -32601 } })
  })

  it('answers a batch with an array of responses in request order, ignoring its notifications', async () => {
    const response = await post([
      rpc(10, 'tools/call', { name: 'calculator', arguments: { expression: '1+1' } }),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      rpc(11, 'ping'),
    ])
    expect(response.json()).toEqual([
      { jsonrpc: '2.0', id: 10, result: { content: [{ type: 'text', text: '2' }], structuredContent: { result: 2 } } },
      { jsonrpc: '2.0', id: 11, result: {} },
    ])
  })

  it('streams SSE message events when the client ranks text/event-stream first', async () => {
    const response = await post(rpc(4, 'tools/call', { name: 'calculator', arguments: { expression: '6*7' } }), {
      accept: 'text/event-stream, application/json;q=0.5',
    })
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('text/event-stream')
    expect(response.body.toString()).toBe(
      `event: message\ndata: ${JSON.stringify({ result: { content: [{ type: 'text', text: '42' }], structuredContent: { result: 42 } }, jsonrpc: '2.0', id: 4 })}\n\n`,
    )
  })

  it('answers malformed JSON with HTTP 400 and a JSON-RPC parse error (-32700)', async () => {
    const response = await post('{"jsonrpc": "2.0", "id": 1, "method": ')
    expect(response.status).toBe(400)
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } })
  })

  it.each([
    ['JSON that is not JSON-RPC', { hello: 'world' }, -32600],
    ['an empty batch', [], -32600],
  ])('answers %s with HTTP 400 and invalid request (-32600)', async (_, body, code) => {
    const response = await post(body)
    expect(response.status).toBe(400)
    expect(response.json()).toMatchObject({ id: null, error: { code } })
  })

  it('refuses what the streamable HTTP transport refuses: other methods, Accept, Content-Type, protocol version', async () => {
    const get = await host.endpoint({ method: 'GET', path: '/mcp', request: { headers: { accept: 'text/event-stream' } } })
    expect(get).toMatchObject({ status: 405, headers: { allow: 'POST' } })
    expect(JSON.parse(get.body.toString())).toMatchObject({ error: { code: -32000 } })
    expect((await host.endpoint({ method: 'DELETE', path: '/mcp' })).status).toBe(405)
    expect((await post(rpc(5, 'ping'), { accept: 'text/html' })).status).toBe(406)
    expect((await post(rpc(5, 'ping'), { 'content-type': 'text/plain' })).status).toBe(415)
    const version = await post(rpc(5, 'ping'), { 'mcp-protocol-version': '1999-01-01' })
    expect(version.status).toBe(400)
    expect(version.json()).toMatchObject({ error: { code: -32000, message: expect.stringContaining('unsupported protocol version 1999-01-01') } })
  })

  it('treats a missing Accept header as accepting JSON', async () => {
    const response = await host.endpoint({
      method: 'POST',
      path: '/mcp',
      request: { headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify(rpc(6, 'ping'))) },
    })
    expect(response.status).toBe(200)
    expect(JSON.parse(response.body.toString())).toEqual({ jsonrpc: '2.0', id: 6, result: {} })
  })
})
