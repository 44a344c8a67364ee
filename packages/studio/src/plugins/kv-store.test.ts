import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type StudioDatabase } from '../db/database.js'
import { scratchPostgres } from '../testing.js'
import { PostgresKvStore, type PostgresKvStoreOptions } from './kv-store.js'

const logger = pino({ level: 'silent' })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const text = (value: Buffer | undefined) => value?.toString('utf8')

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  )
}

const usageOf = async (database: StudioDatabase, namespace: string) =>
  Number((await database.db.selectFrom('plugin_kv_usage').select('bytes').where('namespace', '=', namespace).executeTakeFirst())?.bytes ?? 0)

const VARIANTS = [
  { name: 'PGlite', location: 'embedded', cache: false },
  { name: 'PGlite with the exact read cache', location: 'embedded', cache: true },
  { name: 'PostgreSQL', location: 'postgres', cache: false },
] as const

describe.each(VARIANTS)('PostgresKvStore on $name', ({ location, cache }) => {
  let database: StudioDatabase
  let cleanup: () => Promise<void>
  const stores: PostgresKvStore[] = []
  const store = (options: Partial<PostgresKvStoreOptions> = {}) => {
    const made = new PostgresKvStore({ db: database.db, logger, exactReadCache: cache, ...options })
    stores.push(made)
    return made
  }

  beforeAll(async () => {
    if (location === 'postgres') {
      const scratch = await scratchPostgres()
      database = await openDatabase({ url: scratch.url })
      cleanup = scratch.drop
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'pb-kv-'))
      database = await openDatabase({ dataDir: dir })
      cleanup = async () => rmSync(dir, { recursive: true, force: true })
    }
  })
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.stop()))
    await database?.close()
    await cleanup?.()
  })

  it('gets, sets, overwrites and deletes, one namespace never seeing another', async () => {
    const kv = store()
    expect(await kv.get('a', 'k')).toBeUndefined()
    await kv.set('a', 'k', Buffer.from('one'), 0)
    await kv.set('b', 'k', Buffer.from('other'), 0)
    expect(text(await kv.get('a', 'k'))).toBe('one')
    await kv.set('a', 'k', Buffer.from('two'), 0)
    expect(text(await kv.get('a', 'k'))).toBe('two')
    expect(await kv.delete('a', 'k')).toBe(true)
    expect(await kv.delete('a', 'k')).toBe(false)
    expect(await kv.get('a', 'k')).toBeUndefined()
    expect(text(await kv.get('b', 'k'))).toBe('other')
  })

  it('never returns an expired entry, and the sweep deletes expired rows and their bytes', async () => {
    const kv = store()
    await kv.set('ttl', 'short', Buffer.from('x'), 150)
    await kv.set('ttl', 'kept', Buffer.from('y'), 0)
    expect(text(await kv.get('ttl', 'short'))).toBe('x')
    await sleep(250)
    expect(await kv.get('ttl', 'short')).toBeUndefined()
    expect((await kv.list('ttl', '', 10)).map((e) => e.key)).toEqual(['kept'])
    expect(await kv.delete('ttl', 'short')).toBe(false)
    await kv.set('ttl', 'again', Buffer.from('z'), 100)
    await sleep(150)
    await kv.sweep()
    const left = await database.db.selectFrom('plugin_kv').select('key').where('namespace', '=', 'ttl').execute()
    expect(left.map((r) => r.key)).toEqual(['kept'])
    expect(await usageOf(database, 'ttl')).toBe(Buffer.byteLength('kept') + 1 + 128)
  })

  it('lists by prefix with % and _ matching themselves, in key order, up to the limit', async () => {
    const kv = store()
    for (const key of ['a%b', 'a%c', 'axb', 'a_1', 'ab1', 'b', 'a\\x']) await kv.set('list', key, Buffer.from(key), 0)
    expect((await kv.list('list', 'a%', 10)).map((e) => e.key)).toEqual(['a%b', 'a%c'])
    expect((await kv.list('list', 'a_', 10)).map((e) => e.key)).toEqual(['a_1'])
    expect((await kv.list('list', 'a\\', 10)).map((e) => e.key)).toEqual(['a\\x'])
    expect((await kv.list('list', 'a', 3)).map((e) => e.key)).toEqual(['a%b', 'a%c', 'a\\x'])
    expect(text((await kv.list('list', 'b', 10))[0]?.value)).toBe('b')
  })

  it('increments atomically from absent, keeps the first expiry, restarts an expired counter and refuses a non-counter', async () => {
    const kv = store()
    expect(await kv.increment('inc', 'n', 5, 0)).toBe(5)
    expect(await kv.increment('inc', 'n', -7, 0)).toBe(-2)
    expect(text(await kv.get('inc', 'n'))).toBe('-2')
    expect(await kv.increment('inc', 'w', 1, 150)).toBe(1)
    expect(await kv.increment('inc', 'w', 1, 0)).toBe(2)
    await sleep(250)
    expect(await kv.increment('inc', 'w', 1, 0)).toBe(1)
    await kv.set('inc', 'text', Buffer.from('12 apples'), 0)
    expect(await codeOf(kv.increment('inc', 'text', 1, 0))).toBe('KV_NOT_A_COUNTER')
    await kv.set('inc', 'big', Buffer.from(String(Number.MAX_SAFE_INTEGER)), 0)
    expect(await codeOf(kv.increment('inc', 'big', 1, 0))).toBe('SERVICE_INVALID_REQUEST')
    expect(text(await kv.get('inc', 'big'))).toBe(String(Number.MAX_SAFE_INTEGER))
  })

  it('200 concurrent increments from two stores count exactly 200', async () => {
    const [one, two] = [store(), store()]
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? one : two).increment('race', 'hits', 1, 0)))
    expect(new Set(results).size).toBe(200)
    expect(Math.max(...results)).toBe(200)
    const row = await database.db.selectFrom('plugin_kv').select('value').where('namespace', '=', 'race').where('key', '=', 'hits').executeTakeFirstOrThrow()
    expect(Buffer.from(row.value).toString()).toBe('200')
  })

  it('compare-and-set swaps only on a match, absent included, and exactly one of racing writers wins', async () => {
    const kv = store()
    expect(await kv.compareAndSet('cas', 'k', undefined, Buffer.from('v1'), 0)).toEqual({ swapped: true, current: Buffer.from('v1') })
    expect(await kv.compareAndSet('cas', 'k', undefined, Buffer.from('v2'), 0)).toEqual({ swapped: false, current: Buffer.from('v1') })
    expect(await kv.compareAndSet('cas', 'k', Buffer.from('nope'), Buffer.from('v2'), 0)).toEqual({ swapped: false, current: Buffer.from('v1') })
    expect(await kv.compareAndSet('cas', 'k', Buffer.from('v1'), Buffer.from('v2'), 0)).toEqual({ swapped: true, current: Buffer.from('v2') })
    expect(await kv.compareAndSet('cas', 'missing', Buffer.from('v1'), Buffer.from('v2'), 0)).toEqual({ swapped: false, current: undefined })
    await kv.set('cas', 'gone', Buffer.from('old'), 100)
    await sleep(150)
    expect((await kv.compareAndSet('cas', 'gone', undefined, Buffer.from('new'), 0)).swapped).toBe(true)
    const [one, two] = [store(), store()]
    const racers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).compareAndSet('cas', 'lock', undefined, Buffer.from(`owner-${i}`), 0)))
    expect(racers.filter((r) => r.swapped)).toHaveLength(1)
    const winner = racers.find((r) => r.swapped)!.current!
    expect(racers.every((r) => r.current?.equals(winner))).toBe(true)
  })

  it('refuses a value over the size cap and a write over the namespace quota, counting bytes exactly', async () => {
    const kv = store({ maxValueBytes: 1000, maxNamespaceBytes: 2000 })
    expect(await codeOf(kv.set('quota', 'big', Buffer.alloc(1001), 0))).toBe('KV_VALUE_TOO_LARGE')
    await kv.set('quota', 'a', Buffer.alloc(900), 0)
    await kv.set('quota', 'b', Buffer.alloc(800), 0)
    expect(await usageOf(database, 'quota')).toBe(2 + 1700 + 256)
    expect(await codeOf(kv.set('quota', 'c', Buffer.alloc(100), 0))).toBe('KV_QUOTA_EXCEEDED')
    expect(await codeOf(kv.increment('quota', 'n', 1, 0))).toBe('KV_QUOTA_EXCEEDED')
    // Replacing a value with one no larger fits even at the cap.
    await kv.set('quota', 'a', Buffer.alloc(850), 0)
    await kv.delete('quota', 'b')
    await kv.set('quota', 'c', Buffer.alloc(100), 0)
    expect(await usageOf(database, 'quota')).toBe(2 + 950 + 256)
    expect(await kv.get('quota', 'b')).toBeUndefined()
  })

  it('stop() ends the sweep timer and is safe to call twice', async () => {
    const kv = new PostgresKvStore({ db: database.db, logger, sweepIntervalMs: 10 })
    await sleep(30)
    await kv.stop()
    await kv.stop()
  })
})

describe('PostgresKvStore read cache', () => {
  it('is exact under racing reads and writes of one key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-kv-cache-'))
    const database = await openDatabase({ dataDir: dir })
    const kv = new PostgresKvStore({ db: database.db, logger, exactReadCache: true })
    try {
      for (let round = 0; round < 50; round++) {
        const reads = Array.from({ length: 5 }, () => kv.get('c', 'k'))
        await Promise.all([...reads, kv.set('c', 'k', Buffer.from(String(round)), 0), ...Array.from({ length: 5 }, () => kv.get('c', 'k'))])
        expect(text(await kv.get('c', 'k'))).toBe(String(round))
      }
      const { rows } = await sql<{ value: Buffer }>`select value from plugin_kv where namespace = 'c'`.execute(database.db)
      expect(Buffer.from(rows[0]!.value).toString()).toBe('49')
    } finally {
      await kv.stop()
      await database.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
