import {
  BasePlugin,
  type CustomEndpoints,
  type EndpointRequest,
  type EndpointResponse,
  type EndpointSpec,
  type HookContext,
} from '@plugboard/sdk'
import { serveStreamableHttp } from './streamable-http.js'
import { createToolServer } from './tool-server.js'

export interface McpServerPluginOptions {
  /** The clock the `gateway_time` tool reads; tests pass a fixed one. */
  now?: () => Date
}

/**
 * Custom-endpoints plugin that serves an MCP server (streamable HTTP,
 * stateless) at `/plugins/{name}/mcp`, behind the gateway's app-key
 * authentication, with the tools `calculator`, `echo`, `gateway_time` and
 * `whoami`.
 *
 * @example
 * await serve(new McpServerPlugin())
 */
export class McpServerPlugin extends BasePlugin implements CustomEndpoints {
  readonly manifest = {
    id: 'mcp-server',
    name: 'MCP server',
    version: '0.1.0',
    description: 'An MCP server (streamable HTTP) with calculator, echo, gateway_time and whoami tools',
    runtimes: ['gateway' as const, 'studio' as const],
  }
  readonly #now: () => Date

  constructor(options: McpServerPluginOptions = {}) {
    super()
    this.#now = options.now ?? (() => new Date())
  }

  /** POST carries JSON-RPC; GET and DELETE are declared only so MCP clients get the 405 the transport specifies rather than a 404. */
  endpoints(): EndpointSpec[] {
    return [
      { method: 'POST', path: '/mcp', authRequired: true, streaming: true },
      { method: 'GET', path: '/mcp', authRequired: true },
      { method: 'DELETE', path: '/mcp', authRequired: true },
    ]
  }

  handleEndpoint({ request, auth }: EndpointRequest, ctx: HookContext): Promise<EndpointResponse> {
    return serveStreamableHttp(request, { createServer: () => createToolServer({ app: auth?.app, now: this.#now }), signal: ctx.signal })
  }
}
