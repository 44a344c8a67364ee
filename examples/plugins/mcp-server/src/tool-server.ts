import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { isPlugboardError, type App } from '@plugboard/sdk'
import { z } from 'zod'
import { MAX_EXPRESSION_LENGTH, evaluateExpression } from './calculator.js'
import { describeTime } from './gateway-time.js'

/** Name and version the server reports in its `initialize` result. */
const SERVER_INFO = { name: 'plugboard-mcp-server', version: '0.1.0' } as const

export interface ToolServerOptions {
  /** The app the gateway authenticated for this request, reported by `whoami`. */
  app?: App
  /** The clock `gateway_time` reads. */
  now: () => Date
}

const readOnly = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const

/**
 * Runs a tool body; a PlugboardError becomes an MCP tool error result whose
 * text starts with its code, so the model sees what to fix. Anything else is
 * a bug and is left to the MCP server (which also reports it as a tool error).
 */
async function asToolResult(run: () => CallToolResult | Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run()
  } catch (error) {
    if (!isPlugboardError(error)) throw error
    return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }] }
  }
}

/**
 * A fresh MCP server with the plugin's tools: `calculator`, `echo`,
 * `gateway_time` and `whoami`. Stateless: create one per HTTP request.
 *
 * @example
 * const server = createToolServer({ app: request.auth?.app, now: () => new Date() })
 * await server.connect(new SingleRequestTransport(messages))
 */
export function createToolServer(options: ToolServerOptions): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {} },
    instructions: 'Deterministic helper tools served by a Plugboard gateway plugin: exact arithmetic, echo, the gateway clock, and the calling app.',
  })

  server.registerTool(
    'calculator',
    {
      title: 'Calculator',
      description: 'Evaluates an arithmetic expression with numbers, + - * /, unary signs and parentheses, e.g. "2*(3+4)" → 14. Use it instead of doing arithmetic in your head.',
      inputSchema: { expression: z.string().min(1).max(MAX_EXPRESSION_LENGTH).describe('The expression, e.g. "(1.5 + 2) * -4 / 7"') },
      outputSchema: { result: z.number().describe('The value of the expression') },
      annotations: readOnly,
    },
    ({ expression }) =>
      asToolResult(() => {
        const result = evaluateExpression(expression)
        return { content: [{ type: 'text', text: String(result) }], structuredContent: { result } }
      }),
  )

  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the text it is given, unchanged. Useful to check that the MCP connection through the gateway works.',
      inputSchema: { text: z.string().max(100_000).describe('Text to send back') },
      annotations: readOnly,
    },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  )

  server.registerTool(
    'gateway_time',
    {
      title: 'Gateway time',
      description: "The gateway's current time, in UTC and in an optional IANA time zone.",
      inputSchema: { timeZone: z.string().max(64).optional().describe('IANA time zone such as "Europe/Paris"; default "UTC"') },
      outputSchema: {
        iso: z.string().describe('UTC, ISO 8601'),
        unixMs: z.number().int().describe('Milliseconds since the Unix epoch'),
        timeZone: z.string(),
        local: z.string().describe('Wall-clock time in timeZone with its UTC offset, ISO 8601'),
      },
      annotations: { ...readOnly, idempotentHint: false },
    },
    ({ timeZone }) =>
      asToolResult(() => {
        const time = describeTime(options.now(), timeZone)
        return { content: [{ type: 'text', text: JSON.stringify(time) }], structuredContent: { ...time } }
      }),
  )

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'The app the gateway authenticated this MCP request as (from its API key).',
      outputSchema: { authenticated: z.boolean(), appId: z.string().optional(), appName: z.string().optional() },
      annotations: readOnly,
    },
    () => {
      const caller = options.app ? { authenticated: true, appId: options.app.id, appName: options.app.name } : { authenticated: false }
      return { content: [{ type: 'text', text: JSON.stringify(caller) }], structuredContent: caller }
    },
  )

  return server
}
