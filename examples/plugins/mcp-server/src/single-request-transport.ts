import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js'

/**
 * An MCP `Transport` for exactly one HTTP request in stateless mode: it hands
 * the request's messages to the server and relays what the server sends back
 * until every request among them has its response. Connect a fresh
 * `McpServer` to a fresh transport per HTTP request.
 *
 * @example
 * const transport = new SingleRequestTransport(messages)
 * await server.connect(transport)
 * for await (const message of transport.exchange(signal)) write(message)
 * await server.close()
 */
export class SingleRequestTransport implements Transport {
  onmessage?: Transport['onmessage']
  onclose?: Transport['onclose']
  onerror?: Transport['onerror']

  readonly #messages: JSONRPCMessage[]
  readonly #pending = new Set<RequestId>()
  readonly #outbox: JSONRPCMessage[] = []
  #wake: (() => void) | undefined
  #exchanged = false
  #closed = false

  /** `messages`: the JSON-RPC message, or each message of the batch, the HTTP request carried. */
  constructor(messages: JSONRPCMessage[]) {
    this.#messages = messages
  }

  async start(): Promise<void> {}

  /** Called by the server; a message after `close()` or after the last response has nowhere to go and is refused. */
  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.#closed) throw new Error('the HTTP request this transport served has already been answered')
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) this.#pending.delete(message.id)
    this.#outbox.push(message)
    this.#wake?.()
  }

  /** Ends the exchange; safe to call more than once. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#wake?.()
    this.onclose?.()
  }

  /**
   * Delivers the messages to the server, then yields everything it sends, in
   * order, and returns once each request has been answered. Notifications
   * and responses alone yield nothing. Throws the signal's reason when it
   * aborts first, and an error when the transport closes with requests
   * unanswered. Call once, after `server.connect(this)`.
   */
  async *exchange(signal?: AbortSignal): AsyncGenerator<JSONRPCMessage, void, undefined> {
    if (this.#exchanged) throw new Error('SingleRequestTransport.exchange() runs once per HTTP request; create a new transport')
    this.#exchanged = true
    if (!this.onmessage) throw new Error('connect an MCP server to the transport before exchange()')
    for (const message of this.#messages) if (isJSONRPCRequest(message)) this.#pending.add(message.id)
    for (const message of this.#messages) this.onmessage(message)
    const onAbort = () => this.#wake?.()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      while (true) {
        while (this.#outbox.length > 0) yield this.#outbox.shift()!
        if (this.#pending.size === 0) return
        signal?.throwIfAborted()
        if (this.#closed) throw new Error(`the MCP server closed before answering request ${[...this.#pending].join(', ')}`)
        await new Promise<void>((resolve) => (this.#wake = resolve))
        this.#wake = undefined
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }
}
