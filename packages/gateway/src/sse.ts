import { GatewayError } from './errors.js'

/** One server-sent event: its `event:` name (default "message") and its joined `data:` lines. */
export interface SseEvent {
  event: string
  data: string
}

/** A complete event: its bytes as they arrived (to forward unchanged) and its parsed fields. */
export interface SplitEvent {
  raw: Buffer
  event: SseEvent
}

/** The largest event an {@link SseSplitter} buffers unless told otherwise: 1 MiB. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024

const LF = 0x0a
const CR = 0x0d
const DATA_FIELD = Buffer.from('data: ')

/** Where the splitter stands: at the start of a line, just after a CR (an LF next pairs with it), or inside a line. */
const LINE_START = 0
const AFTER_CR = 1
const IN_LINE = 2

/**
 * Splits a byte stream into complete server-sent events. Push chunks as they
 * arrive (an event may span chunks, a chunk may hold many events, a
 * multi-byte character may be cut between two chunks); each call returns the
 * events completed so far. Works on bytes, so text is decoded only once an
 * event is whole; lines end in LF, CRLF or CR, as the SSE spec allows.
 *
 * Bounded: an event that grows past `maxEventBytes` throws
 * UPSTREAM_RESPONSE_TOO_LARGE rather than being buffered; the splitter is
 * then unusable (the stream cannot be resynchronised).
 */
export class SseSplitter {
  /** Bytes of the unfinished event from earlier chunks. */
  #parts: Buffer[] = []
  #size = 0
  #state = LINE_START
  /** The last chunk ended with the CR that completed an event: an LF opening the next chunk belongs to it. */
  #skipLf = false

  constructor(readonly maxEventBytes: number = DEFAULT_MAX_EVENT_BYTES) {}

  push(chunk: Buffer): SplitEvent[] {
    const data = this.#soleData(chunk)
    if (data !== undefined) return [{ raw: chunk, event: { event: 'message', data } }]
    const events: SplitEvent[] = []
    let pos = 0
    if (this.#skipLf) {
      this.#skipLf = false
      if (chunk[0] === LF) pos = 1
    }
    let start = pos
    // Jump from line end to line end with indexOf (native memchr), never a JS loop over every byte.
    let lf = chunk.indexOf(LF, pos)
    let cr = chunk.indexOf(CR, pos)
    while (lf !== -1 || cr !== -1) {
      const at = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr
      if (at > pos) this.#state = IN_LINE
      pos = at + 1
      if (chunk[at] === LF) {
        // An LF right after a CR completes that CRLF; after any other line end it ends an empty line.
        const blank = this.#state === LINE_START
        this.#state = LINE_START
        if (blank) start = this.#emit(chunk, start, pos, events)
      } else if (this.#state === IN_LINE) {
        this.#state = AFTER_CR
      } else {
        // A CR ending an empty line ends the event; its LF, if one follows, goes with it.
        if (pos < chunk.length) {
          if (chunk[pos] === LF) pos++
        } else {
          this.#skipLf = true
        }
        this.#state = LINE_START
        start = this.#emit(chunk, start, pos, events)
      }
      if (lf !== -1 && lf < pos) lf = chunk.indexOf(LF, pos)
      if (cr !== -1 && cr < pos) cr = chunk.indexOf(CR, pos)
    }
    if (pos < chunk.length) this.#state = IN_LINE
    if (start < chunk.length) {
      this.#size += chunk.length - start
      this.#checkSize()
      this.#parts.push(chunk.subarray(start))
    }
    return events
  }

  /**
   * The data of a chunk that is exactly one `data: …\n\n` event arriving
   * between events: how a vendor's events come when no chunk hook regroups
   * them. Such a chunk needs no line scan; undefined for any other.
   */
  #soleData(chunk: Buffer): string | undefined {
    const end = chunk.length - 2
    if (this.#size !== 0 || this.#state !== LINE_START || this.#skipLf || end < DATA_FIELD.length || chunk.length > this.maxEventBytes) return undefined
    for (let i = 0; i < DATA_FIELD.length; i++) if (chunk[i] !== DATA_FIELD[i]) return undefined
    if (chunk[end + 1] !== LF || chunk.indexOf(LF) !== end || chunk.indexOf(CR) !== -1) return undefined
    return chunk.toString('utf8', DATA_FIELD.length, end)
  }

  /** Completes the event ending at `end`; returns where the next one starts. */
  #emit(chunk: Buffer, start: number, end: number, events: SplitEvent[]): number {
    this.#size += end - start
    this.#checkSize()
    let raw = chunk.subarray(start, end)
    if (this.#parts.length > 0) {
      this.#parts.push(raw)
      raw = Buffer.concat(this.#parts, this.#size)
      this.#parts = []
    }
    this.#size = 0
    const event = parseSseEvent(raw.toString('utf8'))
    if (event) events.push({ raw, event })
    return end
  }

  #checkSize(): void {
    if (this.#size > this.maxEventBytes) {
      throw new GatewayError('UPSTREAM_RESPONSE_TOO_LARGE', `an event of the LLM's stream exceeds the limit of ${this.maxEventBytes} bytes`)
    }
  }
}

/** Parses one event block (lines ending in LF, CRLF or CR); undefined for a block with only comments. */
export function parseSseEvent(block: string): SseEvent | undefined {
  let event = 'message'
  let data: string | undefined
  let lf = block.indexOf('\n')
  let cr = block.indexOf('\r')
  let pos = 0
  while (pos < block.length) {
    if (lf !== -1 && lf < pos) lf = block.indexOf('\n', pos)
    if (cr !== -1 && cr < pos) cr = block.indexOf('\r', pos)
    const eol = lf === -1 ? (cr === -1 ? block.length : cr) : cr === -1 || lf < cr ? lf : cr
    const line = block.slice(pos, eol)
    pos = eol + (eol === cr && lf === eol + 1 ? 2 : 1)
    if (line === '' || line.charCodeAt(0) === 0x3a) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1)
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`
    else if (field === 'event') event = value
  }
  return data !== undefined || event !== 'message' ? { event, data: data ?? '' } : undefined
}

/** Formats an SSE `data:` event. */
export function sseData(data: string): string {
  return `data: ${data}\n\n`
}
