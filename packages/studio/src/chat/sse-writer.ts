import { once } from 'node:events'
import type { ServerResponse } from 'node:http'

/**
 * Server-sent events on a Node response: each event written (and flushed) as
 * it is sent, at the pace the client reads; once the client is gone, sends are
 * dropped instead of waiting for a drain that never comes.
 */
export class SseWriter {
  constructor(private readonly res: ServerResponse) {}

  /** Sends the status and headers at once, so the browser's reader starts before the first event. */
  start(headers: Record<string, string | number | string[] | undefined>): void {
    this.res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' })
    this.res.flushHeaders()
  }

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded
  }

  /** Writes one event; when the client is behind, waits for it to read, to leave, or for `signal`. */
  async send(event: string, data: unknown, signal?: AbortSignal): Promise<void> {
    if (!this.open) return
    // JSON has no raw newlines, so one `data:` line carries it whole.
    if (this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) || signal?.aborted) return
    await Promise.race([once(this.res, 'drain'), once(this.res, 'close'), ...(signal ? [once(signal, 'abort')] : [])])
  }

  /** Ends the stream; a client that stopped reading gets its connection closed instead of holding what is left. */
  end(): void {
    if (!this.open) return
    if (this.res.writableNeedDrain) this.res.destroy()
    else this.res.end()
  }
}
