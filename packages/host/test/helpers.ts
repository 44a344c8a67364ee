import { fileURLToPath } from 'node:url'
import pino from 'pino'
import type { pluginv1 } from '@plugboard/proto'

/** file:// URL of a fixture plugin in test/fixtures. */
export function fixture(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).href
}

export function fixturePath(name: string): string {
  return fileURLToPath(fixture(name))
}

/** A real pino logger whose lines are kept for assertions. */
export function capturingLogger() {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) })
  return { logger, lines }
}

export function httpRequest(headers: Record<string, string> = {}, clientIp = '127.0.0.1'): pluginv1.HttpRequest {
  return { method: 'POST', path: '/v1/chat/completions', query: '', headers, body: Buffer.from('{"model":"mock-gpt"}'), clientIp }
}

export function requestContext(metadata: Record<string, string> = {}): pluginv1.RequestContext {
  return {
    requestId: 'req-1',
    app: { id: 'app-1', name: 'demo', allowedLlms: ['mock'], monthlyBudget: 100, metadata: {} },
    llm: 'mock',
    model: 'mock-gpt',
    streaming: false,
    api: 'chat.completions',
    metadata,
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
