import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Gateway, parseConfig } from '@plugboard/gateway'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const appKey = 'pb-test-key-0123456789'

describe('mcp-server behind a real gateway, with the official MCP client', () => {
  let gateway: Gateway
  let endpoint: URL
  let client: Client
  const transportErrors: Error[] = []

  beforeAll(async () => {
    const config = parseConfig(
      `
server: { port: 0 }
llms: [{ slug: mock, vendor: mock, models: [mock-gpt] }]
apps: [{ id: demo, name: Demo, keys: [{ value: ${appKey} }], allowedLlms: ['*'] }]
plugins:
  - name: mcp
    source: file://${packageDir}
    failurePolicy: fail-closed
`,
      { baseDir: packageDir },
    )
    gateway = await Gateway.start({ config, logger: pino({ level: 'silent' }) })
    endpoint = new URL(`${gateway.url}/plugins/mcp/mcp`)
    client = new Client({ name: 'plugboard-test', version: '1.0.0' })
    const transport = new StreamableHTTPClientTransport(endpoint, { requestInit: { headers: { authorization: `Bearer ${appKey}` } } })
    transport.onerror = (error) => transportErrors.push(error)
    await client.connect(transport)
  })
  afterAll(async () => {
    await client?.close()
    await gateway?.close()
  })

  it('initializes statelessly: the server introduces itself and no session id is issued', () => {
    expect(client.getServerVersion()).toEqual({ name: 'plugboard-mcp-server', version: '0.1.0' })
    expect(client.getServerCapabilities()).toMatchObject({ tools: {} })
    expect((client.transport as StreamableHTTPClientTransport).sessionId).toBeUndefined()
  })

  it('lists the tools and calls the calculator', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(['calculator', 'echo', 'gateway_time', 'whoami'])
    const result = await client.callTool({ name: 'calculator', arguments: { expression: '2*(3+4)' } })
    expect(result).toMatchObject({ content: [{ type: 'text', text: '14' }], structuredContent: { result: 14 } })
    expect(result.isError).toBeFalsy()
  })

  it('gets a tool error, not a protocol error, for a bad expression', async () => {
    const result = await client.callTool({ name: 'calculator', arguments: { expression: '2*(' } })
    expect(result).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringMatching(/^CALCULATOR_INVALID_EXPRESSION: /) }] })
  })

  it('sees the app the gateway authenticated from the API key', async () => {
    const result = await client.callTool({ name: 'whoami', arguments: {} })
    expect(result.structuredContent).toEqual({ authenticated: true, appId: 'demo', appName: 'Demo' })
  })

  it('answers GET with the 405 the client expects, so its optional server-stream probe fails quietly', async () => {
    const response = await fetch(endpoint, { headers: { authorization: `Bearer ${appKey}`, accept: 'text/event-stream' } })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
    expect(transportErrors).toEqual([])
  })

  it('is refused with 401 by the gateway without a valid app key, before the plugin sees the request', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error: { code: 'MISSING_API_KEY' } })
    const wrongKey = await fetch(endpoint, { method: 'POST', headers: { authorization: 'Bearer pb-not-a-key' }, body: '{}' })
    expect(wrongKey.status).toBe(401)
    expect(await wrongKey.json()).toMatchObject({ error: { code: 'INVALID_API_KEY' } })
  })

  it('answers a plain fetch POST with JSON, as curl users would see it', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${appKey}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'through the gateway' } } }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('mcp-session-id')).toBeNull()
    expect(await response.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'through the gateway' }] } })
  })

  it('streams SSE through the gateway when asked for text/event-stream', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${appKey}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    expect(await response.text()).toBe(`event: message\ndata: ${JSON.stringify({ result: {}, jsonrpc: '2.0', id: 2 })}\n\n`)
  })
})

describe('mcp-server run by hand', () => {
  it('explains that a Plugboard host must launch it and exits 1', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [`${packageDir}/dist/main.js`], { env: { PATH: process.env.PATH } }, (_error, _stdout, stderr) =>
        resolve({ code: child.exitCode, stderr }),
      )
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('must be launched by a Plugboard host')
  })
})
