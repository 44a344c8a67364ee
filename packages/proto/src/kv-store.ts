/**
 * Key-value storage behind the Service API's KV methods. Keys live in a
 * namespace (the plugin's name) so plugins never see each other's data.
 * Implementations for shared storage (PostgreSQL, Redis) plug in here.
 */
export interface KvStore {
  get(namespace: string, key: string): Promise<Buffer | undefined>
  /** `ttlMs` of 0 keeps the entry until deleted. */
  set(namespace: string, key: string, value: Buffer, ttlMs: number): Promise<void>
  delete(namespace: string, key: string): Promise<boolean>
  list(namespace: string, prefix: string, limit: number): Promise<Array<{ key: string; value: Buffer }>>
}

interface Entry {
  value: Buffer
  expiresAt: number
}

/** A process-local KvStore: the default for one node and for tests. Expired entries are dropped on read. */
export class MemoryKvStore implements KvStore {
  readonly #namespaces = new Map<string, Map<string, Entry>>()

  async get(namespace: string, key: string): Promise<Buffer | undefined> {
    return this.#live(namespace, key)?.value
  }

  async set(namespace: string, key: string, value: Buffer, ttlMs: number): Promise<void> {
    let entries = this.#namespaces.get(namespace)
    if (!entries) this.#namespaces.set(namespace, (entries = new Map()))
    entries.set(key, { value: Buffer.from(value), expiresAt: ttlMs > 0 ? Date.now() + ttlMs : Infinity })
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    return this.#live(namespace, key) !== undefined && this.#namespaces.get(namespace)!.delete(key)
  }

  async list(namespace: string, prefix: string, limit: number): Promise<Array<{ key: string; value: Buffer }>> {
    const found: Array<{ key: string; value: Buffer }> = []
    for (const key of [...(this.#namespaces.get(namespace)?.keys() ?? [])].sort()) {
      if (found.length >= limit) break
      if (!key.startsWith(prefix)) continue
      const entry = this.#live(namespace, key)
      if (entry) found.push({ key, value: entry.value })
    }
    return found
  }

  #live(namespace: string, key: string): Entry | undefined {
    const entries = this.#namespaces.get(namespace)
    const entry = entries?.get(key)
    if (entry && entry.expiresAt <= Date.now()) {
      entries!.delete(key)
      return undefined
    }
    return entry
  }
}
