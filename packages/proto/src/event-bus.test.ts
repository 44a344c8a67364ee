import { describe, expect, it } from 'vitest'
import { MemoryEventBus } from './event-bus.js'

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
      await bus.publish({ topic, payload: Buffer.alloc(0), source: 'test', timestampMs: 0, direction: 0 })
    }
    await consuming
    expect(received).toEqual(['llm.created', 'llm.updated'])
  })

  it('delivers by "*" patterns: one token, no more', async () => {
    const bus = new MemoryEventBus()
    const controller = new AbortController()
    const received: string[] = []
    const consuming = (async () => {
      for await (const event of bus.subscribe('usage.*.count', controller.signal)) {
        received.push(event.topic)
        if (event.topic === 'usage.end.count') controller.abort()
      }
    })()
    await new Promise((resolve) => setImmediate(resolve))
    for (const topic of ['usage.a.count', 'usage.a.b.count', 'usage.count', 'usage.end.count']) {
      await bus.publish({ topic, payload: Buffer.alloc(0), source: 'test', timestampMs: 0, direction: 0 })
    }
    await consuming
    expect(received).toEqual(['usage.a.count', 'usage.end.count'])
  })
})

describe('MemoryEventBus bounds', () => {
  const event = (payloadBytes: number) => ({ topic: 't', payload: Buffer.alloc(payloadBytes), source: 'test', timestampMs: 0, direction: 0 })

  it.each([
    ['events', { maxBufferedEvents: 3 }, 10],
    ['bytes', { maxBufferedBytes: 3000 }, 1000],
  ])('ends a subscriber that falls more %s behind than allowed with EVENT_SUBSCRIPTION_OVERFLOW, at once', async (_what, options, payloadBytes) => {
    const bus = new MemoryEventBus(options)
    const iterator = bus.subscribe('t', new AbortController().signal)[Symbol.asyncIterator]()
    const first = iterator.next()
    await new Promise((resolve) => setImmediate(resolve))
    expect(bus.subscriberCount).toBe(1)
    for (let i = 0; i < 5; i++) await bus.publish(event(payloadBytes))
    expect(bus.subscriberCount).toBe(0)
    await expect(first).resolves.toMatchObject({ done: false })
    await expect(iterator.next()).rejects.toMatchObject({ code: 'EVENT_SUBSCRIPTION_OVERFLOW' })
  })

  it('takes one event larger than the byte cap into an empty buffer', async () => {
    const bus = new MemoryEventBus({ maxBufferedBytes: 100 })
    const controller = new AbortController()
    const iterator = bus.subscribe('t', controller.signal)[Symbol.asyncIterator]()
    const first = iterator.next()
    await new Promise((resolve) => setImmediate(resolve))
    await bus.publish(event(1000))
    await expect(first).resolves.toMatchObject({ done: false, value: { payload: expect.any(Buffer) } })
    await bus.publish(event(1000))
    expect(bus.subscriberCount).toBe(1)
    await expect(iterator.next()).resolves.toMatchObject({ done: false })
    controller.abort()
  })

  it('keeps a subscriber that reads in time, however many events pass', async () => {
    const bus = new MemoryEventBus({ maxBufferedEvents: 2 })
    const controller = new AbortController()
    let received = 0
    const consuming = (async () => {
      for await (const _event of bus.subscribe('t', controller.signal)) if (++received === 100) controller.abort()
    })()
    await new Promise((resolve) => setImmediate(resolve))
    for (let i = 0; i < 100; i++) {
      await bus.publish(event(1))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await consuming
    expect(received).toBe(100)
    expect(bus.subscriberCount).toBe(0)
  })
})
