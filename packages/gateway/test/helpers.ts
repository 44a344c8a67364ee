import { chmodSync, mkdtempSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { Gateway, budgetPeriodOf, parseConfig, type BudgetStore, type RequestLog } from '@plugboard/gateway'

export const DEMO_KEY = 'pb-test-key-0123456789'
/**
 * Key of an app allowed only the mock LLM, with a budget one request spends:
 * a chat request of one short message reserves $0.00004 (8 prompt tokens, 16
 * completion tokens by default) and costs $0.000032 (the mock answers 12 tokens).
 */
export const LIMITED_KEY = 'pb-limited-key-000000'

/**
 * A gateway on a random loopback port, configured from YAML (the mock LLM and
 * a demo app are always there); `llms`, `apps` and `pricing` are list or map
 * entries appended to those sections, `yaml` more top-level sections, `server`
 * sets keys of `server:`.
 */
export async function startGateway(
  options: {
    llms?: string
    apps?: string
    pricing?: string
    yaml?: string
    env?: Record<string, string>
    budgets?: BudgetStore
    server?: Record<string, number>
    /** Extra entries of `budgets.limits`. */
    limits?: string
    clock?: () => number
    requestLog?: RequestLog
  } = {},
) {
  const yaml = `
server: ${JSON.stringify({ port: 0, maxBodyBytes: 65536, upstreamTimeoutMs: 2000, ...options.server })}
llms:
  - slug: mock
    vendor: mock
    models: [mock-gpt]
    mock: { completionTokens: 12, chunks: 4 }
  - slug: slow
    vendor: mock
    models: [mock-slow]
    mock: { completionTokens: 40, chunks: 20, chunkDelayMs: 30 }
${options.llms ?? ''}
apps:
  - id: demo
    name: Demo
    keys: [{ value: ${DEMO_KEY} }, { value: pb-revoked-key-000000, revoked: true }]
    allowedLlms: ['*']
  - id: limited
    keys: [{ value: ${LIMITED_KEY} }]
    allowedLlms: [mock]
    monthlyBudget: 0.00005
${options.apps ?? ''}
pricing:
  mock-gpt: { input: 1, output: 2 }
${options.pricing ?? ''}
budgets:
  defaultCompletionTokens: 16
  limits:${options.limits ?? ' []'}
${options.yaml ?? ''}`
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) })
  const config = parseConfig(yaml, { baseDir: fileURLToPath(new URL('.', import.meta.url)), env: { ...process.env, ...options.env } })
  const gateway = await Gateway.start({ config, logger, budgets: options.budgets, ...(options.clock && { clock: options.clock }), requestLog: options.requestLog })
  return { gateway, url: gateway.url, logs: lines, config }
}

/** The key of the current month's period, under which monthly budgets are counted. */
export const thisMonth = (): string => budgetPeriodOf({ kind: 'monthly' }).key

/**
 * A temp directory a plugin may write `file` into: writable by the plugin's
 * own uid when the host runs as root, and `allowWrite` (YAML, for the plugin's
 * entry) lets Node's permission model agree.
 */
export function pluginOutput(prefix: string, name = 'events.jsonl'): { dir: string; file: string; allowWrite: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  chmodSync(dir, 0o777)
  return { dir, file: join(dir, name), allowWrite: `[${dir}]` }
}

/** A chat completion as an OpenAI-style upstream answers it (JSON text), with its usage. */
export function completionJson(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  })
}

export function fixtureSource(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).href
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** A loopback HTTP server standing in for an upstream LLM; `handle` decides each answer. */
export async function fakeUpstream(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const requests: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      requests.push({ url: req.url ?? '', headers: req.headers, body })
      handle(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
