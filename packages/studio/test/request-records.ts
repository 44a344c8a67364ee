import { setTimeout as sleep } from 'node:timers/promises'
import type { RequestRecord } from '@plugboard/gateway'

/** A gateway request record, as `requestLog` gives it, with `overrides`. */
export function requestRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    at: Date.now(),
    requestId: 'r',
    api: 'chat.completions',
    appId: 'app-1',
    userId: null,
    llm: 'mock',
    model: 'mock-gpt',
    status: 200,
    errorCode: null,
    promptTokens: 10,
    completionTokens: 5,
    cost: 0.001,
    latencyMs: 12.5,
    streamed: false,
    aborted: false,
    ...overrides,
  }
}

/** Waits until `condition` holds (throws after `ms`). */
export async function until(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}
