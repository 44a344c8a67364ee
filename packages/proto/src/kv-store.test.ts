import { describe, expect, it } from 'vitest'
import { KV_ENTRY_OVERHEAD_BYTES, MemoryKvStore } from './kv-store.js'

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

describe('MemoryKvStore bounds', () => {
  const bytes = (n: number) => Buffer.alloc(n, 'x')
  const entry = (key: string, valueBytes: number) => Buffer.byteLength(key) + valueBytes + KV_ENTRY_OVERHEAD_BYTES

  it('refuses a value over 1 MiB by default with KV_VALUE_TOO_LARGE and keeps the old value', async () => {
    const kv = new MemoryKvStore()
    await kv.set('a', 'k', bytes(1024 * 1024), 0)
    await expect(kv.set('a', 'k', bytes(1024 * 1024 + 1), 0)).rejects.toMatchObject({ code: 'KV_VALUE_TOO_LARGE' })
    expect((await kv.get('a', 'k'))?.length).toBe(1024 * 1024)
    kv.close()
  })

  it("caps each namespace with KV_QUOTA_EXCEEDED, leaves other namespaces room, and counts overwrites and deletes", async () => {
    const kv = new MemoryKvStore({ maxNamespaceBytes: 4 * entry('k0', 100) })
    for (let i = 0; i < 4; i++) await kv.set('a', `k${i}`, bytes(100), 0)
    await expect(kv.set('a', 'k4', bytes(100), 0)).rejects.toMatchObject({ code: 'KV_QUOTA_EXCEEDED', message: expect.stringContaining('namespace "a"') })
    await expect(kv.set('a', 'k0', bytes(101), 0)).rejects.toMatchObject({ code: 'KV_QUOTA_EXCEEDED' })
    await kv.set('a', 'k0', bytes(60), 0) // shrinking an entry always fits
    await kv.set('b', 'k0', bytes(100), 0)
    expect(await kv.delete('a', 'k1')).toBe(true)
    await kv.set('a', 'k4', bytes(100), 0)
    expect(kv.usage()).toEqual({ entries: 5, bytes: 4 * entry('k0', 100) + entry('k0', 60) })
    kv.close()
  })

  it('caps all namespaces together', async () => {
    const kv = new MemoryKvStore({ maxTotalBytes: 3 * entry('k', 10), maxNamespaceBytes: 2 * entry('k', 10) })
    await kv.set('a', 'k', bytes(10), 0)
    await kv.set('b', 'k', bytes(10), 0)
    await kv.set('c', 'k', bytes(10), 0)
    await expect(kv.set('d', 'k', bytes(10), 0)).rejects.toMatchObject({ code: 'KV_QUOTA_EXCEEDED', message: expect.stringContaining('the KV store') })
    kv.close()
  })

  it('does not count expired entries against the cap', async () => {
    const kv = new MemoryKvStore({ maxNamespaceBytes: 2 * entry('k0', 100), sweepIntervalMs: 3_600_000 })
    await kv.set('a', 'k0', bytes(100), 20)
    await kv.set('a', 'k1', bytes(100), 20)
    await expect(kv.set('a', 'k2', bytes(100), 0)).rejects.toMatchObject({ code: 'KV_QUOTA_EXCEEDED' })
    await new Promise((resolve) => setTimeout(resolve, 40))
    await kv.set('a', 'k2', bytes(100), 0)
    await kv.set('a', 'k3', bytes(100), 0)
    expect(kv.usage().entries).toBe(2)
    kv.close()
  })

  it('sweeps expired entries that are never read again', async () => {
    const kv = new MemoryKvStore({ sweepIntervalMs: 20 })
    for (let i = 0; i < 1000; i++) await kv.set(`plugin-${i % 3}`, `session/${i}`, bytes(64), 10)
    await kv.set('plugin-0', 'kept', bytes(64), 0)
    await waitFor(() => kv.usage().entries === 1)
    expect(kv.usage()).toEqual({ entries: 1, bytes: entry('kept', 64) })
    kv.close()
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
