import type { pluginv1 as pb } from '@plugboard/proto'
import { errorResponse } from '../errors.js'
import type { GatewayChains } from '../gateway-plugins.js'
import { drained, isJsonType, sendBytes, startStream, streamError, writeChunk } from '../http-io.js'
import { sseData } from '../sse.js'
import { StreamUsage, usageOfBody } from '../usage.js'
import type { NativeEvent } from '../vendors/vendor.js'
import type { Exchange, Stage } from './exchange.js'
import { StreamTranslation, translatedBody } from './translate-answer.js'

/** Chunks of one stream in flight through the response-chunk hooks at most. */
const CHUNK_WINDOW = 64

/**
 * Keeps what a response sent for stream-complete and data collection, up to
 * a cap: a huge or endless stream cannot grow memory without bound. Past the
 * cap the rest is dropped and the body marked truncated.
 */
class KeptBody {
  readonly #chunks: Buffer[] = []
  #size = 0
  truncated = false

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    if (this.truncated) return
    const room = this.max - this.#size
    if (chunk.length > room) {
      this.truncated = true
      if (room > 0) this.#chunks.push(chunk.subarray(0, room))
      this.#size = this.max
      return
    }
    this.#chunks.push(chunk)
    this.#size += chunk.length
  }

  bytes(): Buffer {
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks)
  }
}

/**
 * Relays the upstream's answer: response-headers hooks, then the body through
 * the response-body hooks, or each SSE event through the response-chunk hooks
 * as it arrives, or (pass-through) the raw bytes as they stream. Counts usage
 * when it is needed (a priced model, data collection, the request log) and keeps a bounded
 * copy of what was sent for the plugins that run after.
 */
export const respond: Stage = async (x) => {
  const response = x.response!
  const { config } = x.state
  const { chains } = x
  const context = x.context!
  const head = await chains.responseHeaders.runResponseHeaders({ context, status: response.status, headers: response.headers }, x.signal)
  x.status = head.status
  const headers: Record<string, string> = { ...head.headers, 'x-request-id': x.requestId }
  const accounting = config.pricing[x.model] !== undefined || chains.dataCollection.length > 0 || x.services.requestLog !== undefined
  const keep = chains.streamComplete.length > 0 || chains.dataCollection.length > 0
  const max = x.services.maxKeptResponseBytes
  if (response.kind === 'json') {
    const body = await chains.responseBody.runResponseBody({ context, status: head.status, headers, body: response.body }, x.signal)
    sendBytes(x.res, head.status, headers, clientBody(x, response, body))
    x.truncated = body.length > max
    x.responseBody = x.truncated ? body.subarray(0, max) : body
    if (accounting) x.usage = usageOfBody(response.body)
    return
  }
  const kept = keep || (accounting && response.kind === 'raw') ? new KeptBody(max) : undefined
  try {
    if (response.kind === 'native-stream') {
      await relayEvents(x, chains, context, head.status, headers, { native: response.events }, kept, accounting)
    } else if (response.kind === 'raw' && response.events) {
      await relayEvents(x, chains, context, head.status, headers, { events: response.events }, kept, false)
    } else if (response.kind === 'raw') {
      await relayRaw(x, head.status, headers, response.body, kept)
      // Usage of a raw answer is read from its JSON body, when all of it was kept.
      if (accounting && kept && !kept.truncated && isJsonType(headers['content-type'])) x.usage = usageOfBody(kept.bytes())
    } else {
      await relayEvents(x, chains, context, head.status, headers, { events: response.events }, kept, accounting)
    }
  } finally {
    if (kept) {
      x.responseBody = kept.bytes()
      x.truncated = kept.truncated
    }
  }
}

/**
 * A JSON answer as the client gets it: the upstream's own bytes when it spoke
 * the client's API and no response-body hook is bound, else translated when
 * the client speaks another API. A hook reads the canonical answer, which has
 * no place for a thinking block or a reasoning summary: the native bytes would
 * pass them to the client unread, even when the hook changed nothing.
 */
function clientBody(x: Exchange, response: Extract<Exchange['response'], { kind: 'json' }>, body: Buffer): Buffer {
  if ('native' in response && x.chains.responseBody.size === 0) return response.native
  return x.answer ? translatedBody(x.answer, body, x.llm?.baseUrl ?? '') : body
}

/** Relays a pass-through body as it streams, waiting for the client when its socket is full. */
async function relayRaw(x: Exchange, status: number, headers: Record<string, string>, body: AsyncIterable<Uint8Array>, kept: KeptBody | undefined) {
  x.res.writeHead(status, headers)
  try {
    for await (const chunk of body) {
      kept?.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      await writeChunk(x.res, chunk, x.signal)
      if (x.signal.aborted) throw x.signal.reason
    }
  } catch (error) {
    // A body cut short must not look complete to the client: the connection is dropped, not ended.
    x.res.destroy()
    throw error
  }
  x.res.end()
}

/**
 * The events of a stream: canonical ones, or (the native lane) the upstream's
 * events in the client's API, each with the canonical events it reads as.
 */
type StreamSource = { events: AsyncIterable<Buffer>; native?: never } | { native: AsyncIterable<NativeEvent>; events?: never }

/**
 * Relays an SSE stream, each event through the chunk hooks when there are
 * any; an error after the start ends it with an error event. A native
 * stream without chunk hooks is written as the upstream sent it, its
 * canonical reading kept and counted; with chunk hooks, its canonical events
 * go through them and are translated back.
 */
async function relayEvents(
  x: Exchange,
  chains: GatewayChains,
  context: pb.RequestContext,
  status: number,
  headers: Record<string, string>,
  source: StreamSource,
  kept: KeptBody | undefined,
  accounting: boolean,
) {
  const { res } = x
  startStream(res, status, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  const usage = accounting ? new StreamUsage(() => x.promptTokens()) : undefined
  // Events that come together (one upstream read, one frame of hook results) leave in one write:
  // the socket is corked until the microtasks that deliver them have run.
  let corked = false
  const uncork = () => {
    corked = false
    res.uncork()
  }
  const write = (out: Buffer | string) => {
    if (out.length === 0) return
    if (!corked) {
      corked = true
      res.cork()
      process.nextTick(uncork)
    }
    res.write(out)
  }
  // What hooks, usage and the records see stays canonical.
  const record = (data: Buffer) => {
    kept?.push(data)
    usage?.push(data)
  }
  const relayNative = source.native !== undefined && chains.responseChunks.size === 0
  // The client's API, when it is not chat completions and the events are canonical.
  const translate = x.answer && !relayNative && new StreamTranslation(x.answer)
  const send = (data: Buffer) => {
    if (data.length === 0) return
    record(data)
    write(translate ? translate.push(data) : data)
  }
  try {
    if (relayNative) {
      for await (const event of source.native!) {
        for (const canonical of event.canonical) record(canonical)
        write(event.native)
        await drained(res, x.signal)
      }
    } else {
      const events = source.events ?? canonicalEvents(source.native!)
      if (chains.responseChunks.size === 0) {
        for await (const event of events) {
          send(event)
          // A slow client holds the upstream back instead of filling the gateway's memory.
          await drained(res, x.signal)
        }
      } else {
        await pipeChunks(chains, context, events, send, x.signal)
      }
    }
  } catch (error) {
    if (x.signal.aborted) throw error
    const { status: errorStatus, body } = errorResponse(error, x.requestId)
    x.errorCode = body.error.code
    x.log.warn({ err: String(error) }, 'stream failed after the response started')
    if (!x.answer) send(Buffer.from(sseData(JSON.stringify(body))))
    else res.write(streamError(errorStatus, body, x.answer, relayNative))
  } finally {
    x.usage = usage?.usage
    if (!res.writableEnded) res.end()
  }
}

async function* canonicalEvents(events: AsyncIterable<NativeEvent>): AsyncIterable<Buffer> {
  for await (const { canonical } of events) yield* canonical
}

/**
 * Sends each upstream event through the response-chunk hooks without
 * waiting for the previous event's answer (at most CHUNK_WINDOW in flight),
 * and writes each answer as it comes: they resolve in push order.
 */
async function pipeChunks(chains: GatewayChains, context: pb.RequestContext, events: AsyncIterable<Buffer>, send: (data: Buffer) => void, signal: AbortSignal) {
  const chunks = chains.responseChunks.chunkStream(context, signal)
  // The first failure stops the writing and the reading upstream; it is rethrown below.
  let failure: { error: unknown } | undefined
  let inFlight = 0
  const write = (data: Buffer) => {
    inFlight--
    if (!failure) send(data)
  }
  const fail = (error: unknown) => {
    inFlight--
    failure ??= { error }
  }
  const rethrow = () => {
    if (failure) throw failure.error
  }
  let last: Promise<void> = Promise.resolve()
  try {
    for await (const event of events) {
      if (failure) break
      last = chunks.push(event).then(write, fail)
      if (++inFlight >= CHUNK_WINDOW) await last
    }
    rethrow()
    // The end goes right behind the last chunks (often in their frame), not a round trip after their answers.
    const ending = chunks.end()
    // When a chunk before it fails, that failure is the one reported.
    ending.catch(() => undefined)
    await last
    rethrow()
    send(await ending)
  } catch (error) {
    // The stream broke off (client gone, upstream or a fail-closed hook failed): the answers still
    // pending are moot, and the plugins are told so they can drop what they keep for the stream.
    chunks.abort()
    throw error
  }
}
