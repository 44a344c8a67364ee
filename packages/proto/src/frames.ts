import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { PLUGIN_CHANNEL_OPTIONS } from './mtls.js'

/** The largest frame either end of a plugin connection sends or accepts on a channel stream (gRPC's message limit). */
export const CHANNEL_FRAME_LIMIT = Math.min(PLUGIN_CHANNEL_OPTIONS['grpc.max_send_message_length'], PLUGIN_CHANNEL_OPTIONS['grpc.max_receive_message_length'])

/** How a channel's frame (`{ messages }`) and its messages are encoded: the generated message types fit. */
export interface FrameType<M> {
  encode(frame: { messages: M[] }, writer?: BinaryWriter): BinaryWriter
}
export interface MessageType<M> {
  encode(message: M): BinaryWriter
}

/** What `encodeFrames` made of a batch of messages. */
export interface EncodedFrames<M> {
  /** Frames to write, in order, each within the limit. */
  frames: Buffer[]
  /** Messages too large for any frame: not in `frames`. */
  tooLarge: M[]
  /** Messages protobuf could not encode (a value of the wrong type), with the reason: not in `frames`. */
  unencodable: Array<{ message: M; error: Error }>
}

/**
 * A frame serializer sharing one writer. The generated serializer starts a
 * fresh writer per frame, regrows its buffer from nothing and copies the result
 * twice: half the cost of encoding a hook call (6 µs of 12 for a pre-auth
 * frame). Encoding is synchronous, so sharing the writer is safe.
 */
export function frameSerializer<M>(type: FrameType<M>): (frame: { messages: M[] }) => Buffer {
  const writer = new BinaryWriter()
  return (frame) => {
    try {
      const bytes = type.encode(frame, writer).finish()
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    } catch (error) {
      writer.finish()
      throw error
    }
  }
}

/**
 * Encodes channel messages into frames the peer accepts. Usually they fit
 * one frame and are encoded once. Otherwise each is encoded alone to learn its
 * size, and they go in as many frames as needed, each within `limit`; a message
 * that fits no frame, or cannot be encoded at all, is set aside for its sender
 * to fail that one call. Left to grpc-js, a frame over gRPC's limit ends the
 * whole stream (RESOURCE_EXHAUSTED) and one that fails to encode ends it too,
 * failing every call on it.
 */
export function encodeFrames<M>(
  messages: M[],
  codec: { serialize(frame: { messages: M[] }): Buffer; message: MessageType<M> },
  limit: number = CHANNEL_FRAME_LIMIT,
): EncodedFrames<M> {
  let whole: Buffer | undefined
  try {
    whole = codec.serialize({ messages })
  } catch {
    // One of them cannot be encoded: find it below.
  }
  if (whole && whole.length <= limit) return { frames: [whole], tooLarge: [], unencodable: [] }
  // A frame of one message is that message and a few bytes: no need to encode it again to know.
  if (whole && messages.length === 1) return { frames: [], tooLarge: messages, unencodable: [] }
  const result: EncodedFrames<M> = { frames: [], tooLarge: [], unencodable: [] }
  let group: M[] = []
  let groupBytes = 0
  const flush = () => {
    if (group.length > 0) result.frames.push(codec.serialize({ messages: group }))
    group = []
    groupBytes = 0
  }
  for (const message of messages) {
    let size: number
    try {
      size = codec.message.encode(message).finish().byteLength
    } catch (error) {
      result.unencodable.push({ message, error: error instanceof Error ? error : new Error(String(error)) })
      continue
    }
    // In a frame, each message is field 1 (one tag byte) with its length as a varint (at most 5 bytes).
    const entryBytes = size + 6
    if (entryBytes > limit) {
      result.tooLarge.push(message)
      continue
    }
    if (groupBytes + entryBytes > limit) flush()
    group.push(message)
    groupBytes += entryBytes
  }
  flush()
  return result
}

/**
 * The messages a channel's client sends, batched: an idle channel sends at
 * once (lowest latency); a busy one — more calls waiting for answers than
 * messages queued — waits for the end of the event-loop turn, so the calls
 * that answers just set off share one frame. `flush` gets each batch.
 */
export class Outbox<M> {
  #queued: M[] = []
  #scheduled = false

  constructor(
    private readonly flush: (messages: M[]) => void,
    /** Calls waiting for their answers now. */
    private readonly waiting: () => number,
  ) {}

  push(message: M): void {
    this.#queued.push(message)
    if (this.#scheduled) return
    this.#scheduled = true
    ;(this.waiting() > this.#queued.length ? setImmediate : queueMicrotask)(() => {
      this.#scheduled = false
      const messages = this.#queued
      this.#queued = []
      this.flush(messages)
    })
  }
}

/**
 * The serving end of a channel: once the client's side is over (ended,
 * failed or cancelled), `abortAll` stops the calls still running, and an
 * ended stream is ended from this side too.
 */
export function whenChannelCloses(stream: { on(event: 'end' | 'error' | 'cancelled', listener: () => void): unknown; end(): void }, abortAll: () => void): void {
  stream.on('end', () => {
    abortAll()
    stream.end()
  })
  stream.on('error', abortAll)
  stream.on('cancelled', abortAll)
}
