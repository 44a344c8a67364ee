const ignore = (): void => {}

/**
 * Runs tasks that share a key one after another, in call order; tasks with
 * different keys run concurrently. Makes a read-modify-write of one KV entry
 * atomic within this process (not across processes sharing the store).
 */
export class KeyLock {
  readonly #tails = new Map<string, Promise<void>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task)
    const tail: Promise<void> = result.then(ignore, ignore).then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    this.#tails.set(key, tail)
    return result
  }

  /** Keys with tasks queued or running. */
  get size(): number {
    return this.#tails.size
  }
}
