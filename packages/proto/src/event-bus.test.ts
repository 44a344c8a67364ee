import { describe, expect, it } from 'vitest'
import { MemoryEventBus, topicMatches } from './event-bus.js'

describe('MemoryEventBus', () => {
  it('delivers matching events to subscribers until they abort', async () => {
    const bus = new MemoryEventBus()
    const controller = new AbortController()
    const received: string[] = []
    const consuming = (async () => {
      for await (const event of bus.subscribe('llm.>', controller.signal)) {
        received.push(event.topic)
        if (received.length === 2) controller.abort()
      }
    })()
    await new Promise((resolve) => setImmediate(resolve))
    for (const topic of ['llm.created', 'app.created', 'llm.updated', 'llm.deleted']) {
      await bus.publish({ topic, payload: Buffer.alloc(0), source: 'test', timestampMs: 0 })
    }
    await consuming
    expect(received).toEqual(['llm.created', 'llm.updated'])
  })

  it('matches exact topics and ".>" wildcards', () => {
    expect(topicMatches('a.b', 'a.b')).toBe(true)
    expect(topicMatches('a.>', 'a.b.c')).toBe(true)
    expect(topicMatches('a.>', 'ab.c')).toBe(false)
    expect(topicMatches('>', 'anything')).toBe(true)
  })
})
