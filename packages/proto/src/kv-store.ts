import { PlugboardError } from './errors.js'
import type { ServiceApiErrorCode } from './service-api.js'

/**
 * Key-value storage behind the Service API's KV methods. Keys live in a
 * namespace (the plugin's name) so plugins never see each other's data.
 * Implementations for shared storage (PostgreSQL, Redis) plug in here.
 * A write the store cannot hold rejects with KV_VALUE_TOO_LARGE or
 * KV_QUOTA_EXCEEDED.
 */
export interface KvStore {
  get(namespace: string, key: string): Promise<Buffer | undefined>
  /** `ttlMs` of 0 keeps the entry until deleted. */
  set(namespace: string, key: string, value: Buffer, ttlMs: number): Promise<void>
  delete(namespace: string, key: string): Promise<boolean>
  list(namespace: string, prefix: string, limit: number): Promise<Array<{ key: string; value: Buffer }>>
  /**
   * Adds `delta` to the counter at `key` (absent counts as 0) atomically and
   * returns the new value; `ttlMs` expires a counter this call creates. A
   * value that is not a counter written by increment rejects with KV_NOT_A_COUNTER.
   */
  increment(namespace: string, key: string, delta: number, ttlMs: number): Promise<number>
  /**
   * Writes `value` only when the key holds `expected` (`undefined`: only when
   * absent), atomically; returns whether it swapped and what the key holds now.
   */
  compareAndSet(namespace: string, key: string, expected: Buffer | undefined, value: Buffer, ttlMs: number): Promise<{ swapped: boolean; current: Buffer | undefined }>
}

/** How a counter is stored: its decimal digits, so `get` reads it as text. */
export function parseCounter(value: Buffer | undefined, key: string): number {
  if (value === undefined) return 0
  const text = value.toString('utf8')
  if (!/^-?\d{1,19}$/.test(text)) throw kvError('KV_NOT_A_COUNTER', `KV key "${key}" holds a value that is not a counter; increment only keys written by increment`)
  return Number(text)
}

/** Size caps of a {@link MemoryKvStore}. Sizes count key and value bytes plus {@link KV_ENTRY_OVERHEAD_BYTES} per entry. */
export interface MemoryKvStoreOptions {
  /** What all namespaces together may hold. Default 64 MiB. */
  maxTotalBytes?: number
  /** What one namespace (one plugin) may hold, so one plugin cannot fill the store for all. Default 16 MiB. */
  maxNamespaceBytes?: number
  /** The largest value. Default 1 MiB. */
  maxValueBytes?: number
  /** How often expired entries are dropped even when nobody reads them again. Default 30 s. */
  sweepIntervalMs?: number
}

/**
 * What one entry costs beyond its key and value bytes (map slot, entry object,
 * Buffer header), so a flood of tiny entries counts against the cap too.
 */
export const KV_ENTRY_OVERHEAD_BYTES = 128

const MiB = 1024 * 1024

interface Entry {
  value: Buffer
  expiresAt: number
  size: number
}

interface Namespace {
  entries: Map<string, Entry>
  bytes: number
}

const kvError = (code: ServiceApiErrorCode, message: string) => new PlugboardError<ServiceApiErrorCode>(code, message)

/**
 * A process-local KvStore: the default for one node and for tests. Memory is
 * bounded by the caps in {@link MemoryKvStoreOptions}; expired entries are
 * dropped on access, by a periodic sweep (its timer keeps neither the process
 * nor the store alive) and before a write is refused for lack of room.
 */
export class MemoryKvStore implements KvStore {
  readonly #namespaces = new Map<string, Namespace>()
  readonly #maxTotalBytes: number
  readonly #maxNamespaceBytes: number
  readonly #maxValueBytes: number
  readonly #sweeper: NodeJS.Timeout
  #bytes = 0

  constructor(options: MemoryKvStoreOptions = {}) {
    this.#maxTotalBytes = options.maxTotalBytes ?? 64 * MiB
    this.#maxNamespaceBytes = Math.min(options.maxNamespaceBytes ?? 16 * MiB, this.#maxTotalBytes)
    this.#maxValueBytes = options.maxValueBytes ?? MiB
    // The timer holds the store weakly: a store nobody uses any more is collected, and its timer stopped, without close().
    const store = new WeakRef(this)
    const sweeper = setInterval(() => {
      const live = store.deref()
      if (live) live.#sweep()
      else clearInterval(sweeper)
    }, options.sweepIntervalMs ?? 30_000).unref()
    this.#sweeper = sweeper
  }

  async get(namespace: string, key: string): Promise<Buffer | undefined> {
    return this.#live(namespace, key)?.value
  }

  async set(namespace: string, key: string, value: Buffer, ttlMs: number): Promise<void> {
    if (value.length > this.#maxValueBytes) {
      throw kvError('KV_VALUE_TOO_LARGE', `KV value of ${value.length} bytes is larger than the ${this.#maxValueBytes} bytes a value may have`)
    }
    const size = Buffer.byteLength(key) + value.length + KV_ENTRY_OVERHEAD_BYTES
    // Reading the previous entry first drops it when expired, so it does not count against the cap.
    const growth = () => size - (this.#live(namespace, key)?.size ?? 0)
    if (!this.#fits(namespace, growth())) {
      this.#sweep()
      if (!this.#fits(namespace, growth())) throw this.#quotaError(namespace, key, growth())
    }
    const added = growth()
    let space = this.#namespaces.get(namespace)
    if (!space) this.#namespaces.set(namespace, (space = { entries: new Map(), bytes: 0 }))
    space.entries.set(key, { value: Buffer.from(value), expiresAt: ttlMs > 0 ? Date.now() + ttlMs : Infinity, size })
    space.bytes += added
    this.#bytes += added
  }

  async increment(namespace: string, key: string, delta: number, ttlMs: number): Promise<number> {
    const entry = this.#live(namespace, key)
    const value = parseCounter(entry?.value, key) + delta
    if (!Number.isSafeInteger(value)) throw kvError('SERVICE_INVALID_REQUEST', `KV counter "${key}" would leave the safe integer range`)
    const remaining = entry && entry.expiresAt !== Infinity ? Math.max(1, entry.expiresAt - Date.now()) : entry ? 0 : ttlMs
    await this.set(namespace, key, Buffer.from(String(value)), remaining)
    return value
  }

  async compareAndSet(namespace: string, key: string, expected: Buffer | undefined, value: Buffer, ttlMs: number): Promise<{ swapped: boolean; current: Buffer | undefined }> {
    const current = this.#live(namespace, key)?.value
    const matches = expected === undefined ? current === undefined : current !== undefined && current.equals(expected)
    if (!matches) return { swapped: false, current }
    await this.set(namespace, key, value, ttlMs)
    return { swapped: true, current: value }
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    const space = this.#namespaces.get(namespace)
    return this.#live(namespace, key) !== undefined && this.#remove(namespace, space!, key)
  }

  async list(namespace: string, prefix: string, limit: number): Promise<Array<{ key: string; value: Buffer }>> {
    const found: Array<{ key: string; value: Buffer }> = []
    for (const key of [...(this.#namespaces.get(namespace)?.entries.keys() ?? [])].sort()) {
      if (found.length >= limit) break
      if (!key.startsWith(prefix)) continue
      const entry = this.#live(namespace, key)
      if (entry) found.push({ key, value: entry.value })
    }
    return found
  }

  /** Entries and bytes held now, expired entries not yet swept included. */
  usage(): { entries: number; bytes: number } {
    let entries = 0
    for (const space of this.#namespaces.values()) entries += space.entries.size
    return { entries, bytes: this.#bytes }
  }

  /** Stops the sweep timer; safe to call more than once. */
  close(): void {
    clearInterval(this.#sweeper)
  }

  #fits(namespace: string, growth: number): boolean {
    const held = this.#namespaces.get(namespace)?.bytes ?? 0
    return growth <= 0 || (held + growth <= this.#maxNamespaceBytes && this.#bytes + growth <= this.#maxTotalBytes)
  }

  #quotaError(namespace: string, key: string, growth: number): PlugboardError<ServiceApiErrorCode> {
    const held = this.#namespaces.get(namespace)?.bytes ?? 0
    const [what, cap] =
      held + growth > this.#maxNamespaceBytes ? [`namespace "${namespace}"`, this.#maxNamespaceBytes] : ['the KV store', this.#maxTotalBytes]
    return kvError('KV_QUOTA_EXCEEDED', `writing "${key}" would take ${what} over its cap of ${cap} bytes; delete keys or give them a TTL`)
  }

  #live(namespace: string, key: string): Entry | undefined {
    const space = this.#namespaces.get(namespace)
    const entry = space?.entries.get(key)
    if (entry && entry.expiresAt <= Date.now()) {
      this.#remove(namespace, space!, key)
      return undefined
    }
    return entry
  }

  #remove(namespace: string, space: Namespace, key: string): boolean {
    const entry = space.entries.get(key)
    if (!entry) return false
    space.entries.delete(key)
    space.bytes -= entry.size
    this.#bytes -= entry.size
    if (space.entries.size === 0) this.#namespaces.delete(namespace)
    return true
  }

  #sweep(): void {
    const now = Date.now()
    for (const [namespace, space] of this.#namespaces) {
      for (const [key, entry] of space.entries) if (entry.expiresAt <= now) this.#remove(namespace, space, key)
    }
  }
}
