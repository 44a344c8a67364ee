import { randomUUID } from 'node:crypto'

/** The gateway app Studio's chat with LLMs goes through. */
export const CHAT_APP = 'studio:chat'

/**
 * Which user each of Studio's chat completions is for. The chat's requests
 * share one app (`studio:chat`), so the user goes by the request id Studio
 * gives each request: the analytics record of that id is the user's, and
 * shows in their usage. Only that app's records are looked up, so a request
 * id any other caller sends attributes nothing. Bounded: the oldest entries
 * go first (a request whose record never came).
 */
export class ChatUsers {
  readonly #byRequest = new Map<string, string>()

  constructor(private readonly max = 10_000) {}

  /** A new request id for a completion on behalf of `userId`. */
  requestFor(userId: string): string {
    const requestId = `chat-${randomUUID()}`
    this.#byRequest.set(requestId, userId)
    if (this.#byRequest.size > this.max) this.#byRequest.delete(this.#byRequest.keys().next().value!)
    return requestId
  }

  /** The user of a chat request's record, once: its entry goes with it. */
  take(requestId: string): string | undefined {
    const userId = this.#byRequest.get(requestId)
    this.#byRequest.delete(requestId)
    return userId
  }

  get size(): number {
    return this.#byRequest.size
  }
}
