import { describe, expect, it } from 'vitest'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { SingleRequestTransport } from './single-request-transport.js'

/** A server whose `work` tool logs a notification first, and whose `hang` tool never answers. */
function testServer() {
  const server = new McpServer({ name: 'test', version: '0.0.0' }, { capabilities: { tools: {}, logging: {} } })
  server.registerTool('work', {}, async (extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'working' } })
    return { content: [{ type: 'text', text: 'done' }] }
  })
  server.registerTool('hang', {}, () => new Promise(() => {}))
  return server
}

const call = (id: number, name: string): JSONRPCMessage => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })

async function collect(messages: AsyncIterable<JSONRPCMessage>) {
  const out: JSONRPCMessage[] = []
  for await (const message of messages) out.push(message)
  return out
}

describe('SingleRequestTransport', () => {
  it("yields the server's notifications and responses in order, and ends once every request is answered", async () => {
    const server = testServer()
    const transport = new SingleRequestTransport([call(1, 'work'), { jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 2, method: 'ping' }])
    await server.connect(transport)
    const sent = await collect(transport.exchange())
    expect(sent.map((m) => ('id' in m ? `response ${m.id}` : 'method' in m ? m.method : '?')).sort()).toEqual(['notifications/message', 'response 1', 'response 2'])
    expect(sent.findIndex((m) => 'method' in m)).toBeLessThan(sent.findIndex((m) => 'id' in m && m.id === 1))
    await server.close()
    await expect(transport.send({ jsonrpc: '2.0', id: 3, result: {} })).rejects.toThrow('already been answered')
  })

  it('yields nothing for notifications alone', async () => {
    const server = testServer()
    const transport = new SingleRequestTransport([{ jsonrpc: '2.0', method: 'notifications/initialized' }])
    await server.connect(transport)
    expect(await collect(transport.exchange())).toEqual([])
    await server.close()
  })

  it('stops with the abort reason when the signal aborts before the answer', async () => {
    const server = testServer()
    const transport = new SingleRequestTransport([call(1, 'hang')])
    await server.connect(transport)
    const controller = new AbortController()
    const exchange = collect(transport.exchange(controller.signal))
    controller.abort(new Error('deadline passed'))
    await expect(exchange).rejects.toThrow('deadline passed')
    await server.close()
  })

  it('fails when the server closes with requests unanswered, and runs only once', async () => {
    const server = testServer()
    const transport = new SingleRequestTransport([call(9, 'hang')])
    await server.connect(transport)
    const exchange = collect(transport.exchange())
    await server.close()
    await expect(exchange).rejects.toThrow('closed before answering request 9')
    await expect(collect(transport.exchange())).rejects.toThrow('runs once per HTTP request')
  })
})
