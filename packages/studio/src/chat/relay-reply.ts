import { isPlugboardError } from '@plugboard/proto'
import { ReplyRecord, type ChatEvent } from './chat-events.js'

export interface RelayOptions {
  /** Aborted when the browser went away: the reply is cancelled, and what arrived is kept. */
  clientGone: AbortSignal
  /** How long a reply may take in all; then it is cancelled with CHAT_REPLY_TIMEOUT. */
  deadlineMs: number
  /** The most a reply may hold (ReplyRecord.size); beyond, it is cut off with CHAT_REPLY_TOO_LONG. */
  maxChars: number
}

/**
 * Runs one reply: passes each event of `source` to `send` as it arrives and
 * records it, and turns every way a reply can end early — the target's error
 * event, its failure, the deadline, the browser leaving — into the reply's
 * one error. Answers the record to store, whatever happened.
 */
export async function relayReply(
  source: (signal: AbortSignal) => AsyncIterable<ChatEvent>,
  /** Resolves once the event is on its way; waits no longer than `signal` (a browser that stopped reading holds no reply past its deadline). */
  send: (event: ChatEvent, signal: AbortSignal) => Promise<void>,
  options: RelayOptions,
): Promise<ReplyRecord> {
  const deadline = AbortSignal.timeout(options.deadlineMs)
  const tooLong = new AbortController()
  const signal = AbortSignal.any([options.clientGone, deadline, tooLong.signal])
  const record = new ReplyRecord()
  const emit = async (event: ChatEvent) => {
    record.add(event)
    await send(event, signal)
  }
  const cutOff = (): ChatEvent =>
    options.clientGone.aborted
      ? { type: 'error', code: 'CHAT_REPLY_INTERRUPTED', message: 'the browser went away before the reply finished' }
      : { type: 'error', code: 'CHAT_REPLY_TIMEOUT', message: `the reply did not finish within ${options.deadlineMs / 1000} s` }
  try {
    for await (const event of source(signal)) {
      if (event.type === 'done') break
      if (event.type !== 'error' && record.size + sizeOf(event) > options.maxChars) {
        await emit({ type: 'error', code: 'CHAT_REPLY_TOO_LONG', message: `the reply grew past ${options.maxChars} characters and was cut off there` })
        tooLong.abort()
        break
      }
      await emit(event)
      // An error is the end of a reply: nothing after it is taken.
      if (event.type === 'error') break
    }
    if (signal.aborted && !record.failed) await emit(cutOff())
  } catch (error) {
    if (record.failed) return record
    if (signal.aborted) await emit(cutOff())
    else await emit({ type: 'error', code: 'CHAT_REPLY_FAILED', message: isPlugboardError(error) ? `[${error.code}] ${error.message}` : (error as Error).message })
  }
  return record
}

/** What an event adds to ReplyRecord.size. */
function sizeOf(event: ChatEvent): number {
  const probe = new ReplyRecord()
  probe.add(event)
  return probe.size
}
