import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { UsageBatcher, type UsageCounts } from './usage-batcher.js'

function batcher(options: { intervalMs?: number; flushEvery?: number; maxApps?: number; send?: (counts: UsageCounts) => Promise<void> } = {}) {
  const sent: UsageCounts[] = []
  const states: boolean[] = []
  const counter = new UsageBatcher({
    intervalMs: options.intervalMs ?? 60_000,
    flushEvery: options.flushEvery ?? 100,
    maxApps: options.maxApps ?? 1000,
    send: options.send ?? (async (counts) => void sent.push(counts)),
    onSendState: (failing) => states.push(failing),
  })
  return { counter, sent, states }
}

describe('UsageBatcher', () => {
  it('sends one batch per app after flushEvery requests, not one per request', async () => {
    const { counter, sent } = batcher({ flushEvery: 3 })
    counter.count('a')
    counter.count('a')
    expect(sent).toEqual([])
    counter.count('b')
    await counter.flush()
    expect(sent).toEqual([{ a: 2, b: 1 }])
  })

  it('sends what there is every interval, and nothing when there is nothing', async () => {
    const { counter, sent } = batcher({ intervalMs: 20 })
    counter.start()
    counter.count('a')
    await sleep(70)
    expect(sent).toEqual([{ a: 1 }])
    await counter.stop()
  })

  it('keeps the counts of a failed send for the next one, saying once that sends fail and once that they work again', async () => {
    let fail = true
    const sent: UsageCounts[] = []
    const { counter, states } = batcher({ send: async (counts) => (fail ? Promise.reject(new Error('down')) : void sent.push(counts)) })
    counter.count('a')
    await counter.flush()
    counter.count('a')
    await counter.flush()
    fail = false
    counter.count('b')
    await counter.flush()
    expect(sent).toEqual([{ a: 2, b: 1 }])
    expect(states).toEqual([true, false])
  })

  it('keeps at most maxApps apps while sends fail, counting what it drops', async () => {
    const { counter } = batcher({ maxApps: 2, send: () => Promise.reject(new Error('down')) })
    for (const app of ['a', 'b', 'c', 'a', 'd']) counter.count(app)
    await counter.flush()
    expect(counter.dropped).toBe(2)
  })

  it('has one send in flight: counts that come meanwhile go with the next, and count never waits for a send', async () => {
    let release!: () => void
    const sent: UsageCounts[] = []
    const { counter } = batcher({ flushEvery: 1, send: (counts) => new Promise((resolve) => (release = () => resolve(void sent.push(counts)))) })
    counter.count('a')
    for (let i = 0; i < 1000; i++) counter.count('b')
    expect(sent).toEqual([])
    release()
    await sleep(0)
    const next = counter.flush()
    release()
    await next
    await counter.stop()
    expect(sent).toEqual([{ a: 1 }, { b: 1000 }])
  })
})
