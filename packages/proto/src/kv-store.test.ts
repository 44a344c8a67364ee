import { describe, expect, it } from 'vitest'
import { MemoryKvStore } from './kv-store.js'

describe('MemoryKvStore', () => {
  it('keeps namespaces apart, lists by prefix in key order and expires entries', async () => {
    const kv = new MemoryKvStore()
    await kv.set('a', 'b/2', Buffer.from('2'), 0)
    await kv.set('a', 'b/1', Buffer.from('1'), 0)
    await kv.set('a', 'c', Buffer.from('x'), 0)
    await kv.set('other', 'b/1', Buffer.from('other'), 0)
    expect((await kv.list('a', 'b/', 10)).map((e) => [e.key, e.value.toString()])).toEqual([['b/1', '1'], ['b/2', '2']])
    expect((await kv.get('other', 'b/1'))?.toString()).toBe('other')
    await kv.set('a', 'ttl', Buffer.from('soon gone'), 30)
    expect(await kv.get('a', 'ttl')).toBeDefined()
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(await kv.get('a', 'ttl')).toBeUndefined()
    expect(await kv.delete('a', 'c')).toBe(true)
    expect(await kv.delete('a', 'c')).toBe(false)
  })
})
