import { setTimeout as sleep } from 'node:timers/promises'
import { PlugboardError } from '@plugboard/proto'
import { describe, expect, it } from 'vitest'
import type { ChatEvent } from './chat-events.js'
import { relayReply } from './relay-reply.js'

const relay = (source: (signal: AbortSignal) => AsyncIterable<ChatEvent>, options: { clientGone?: AbortSignal; deadlineMs?: number; maxChars?: number } = {}) => {
  const sent: ChatEvent[] = []
  const done = relayReply(source, async (event) => void sent.push(event), { clientGone: options.clientGone ?? new AbortController().signal, deadlineMs: options.deadlineMs ?? 5_000, maxChars: options.maxChars ?? 1_000_000 })
  return { sent, done }
}

/** A reply that sends `first`, then waits for its signal as a slow agent does. */
function slowAfter(first: ChatEvent[], seen: { aborted?: boolean }) {
  return async function* (signal: AbortSignal): AsyncIterable<ChatEvent> {
    yield* first
    try {
      await sleep(10_000, undefined, { signal })
    } finally {
      seen.aborted = signal.aborted
    }
  }
}

describe('relayReply', () => {
  it('sends each event as it comes and records the reply, up to done', async () => {
    const { sent, done } = relay(async function* () {
      yield { type: 'thinking', text: 'hm' }
      yield { type: 'content', text: 'a' }
      yield { type: 'content', text: 'b' }
      yield { type: 'done' }
      yield { type: 'content', text: 'after done' }
    })
    const record = await done
    expect(sent.map((event) => event.type)).toEqual(['thinking', 'content', 'content'])
    expect([record.content, record.parts, record.failed]).toEqual(['ab', [{ type: 'thinking', text: 'hm' }], false])
  })

  it("ends the reply at the target's error event, keeping what came before", async () => {
    const { sent, done } = relay(async function* () {
      yield { type: 'content', text: 'partial' }
      yield { type: 'error', code: 'ECHO_FAILED', message: 'no' }
      yield { type: 'content', text: 'never' }
    })
    const record = await done
    expect(sent.at(-1)).toEqual({ type: 'error', code: 'ECHO_FAILED', message: 'no' })
    expect([record.content, record.failed]).toEqual(['partial', true])
  })

  it('turns a failing call into CHAT_REPLY_FAILED with its code', async () => {
    const { sent, done } = relay(async function* () {
      yield { type: 'content', text: 'x' }
      throw new PlugboardError('PLUGIN_UNAVAILABLE', 'the plugin exited')
    })
    expect((await done).parts).toEqual([{ type: 'error', code: 'CHAT_REPLY_FAILED', message: '[PLUGIN_UNAVAILABLE] the plugin exited' }])
    expect(sent.at(-1)).toMatchObject({ code: 'CHAT_REPLY_FAILED' })
  })

  it('cancels the call at the deadline with CHAT_REPLY_TIMEOUT', async () => {
    const seen: { aborted?: boolean } = {}
    const { done } = relay(slowAfter([{ type: 'content', text: 'so far' }], seen), { deadlineMs: 50 })
    const record = await done
    expect(seen.aborted).toBe(true)
    expect([record.content, record.parts]).toEqual(['so far', [{ type: 'error', code: 'CHAT_REPLY_TIMEOUT', message: 'the reply did not finish within 0.05 s' }]])
  })

  it('gives up at the deadline on a browser that stopped reading: a send waits no longer than it', async () => {
    const seen: { aborted?: boolean } = {}
    const stalled: ChatEvent[] = []
    // The first event fills the socket; the client never reads again, so each later send waits for its signal.
    const send = (event: ChatEvent, signal: AbortSignal) => {
      stalled.push(event)
      if (stalled.length === 1 || signal.aborted) return Promise.resolve()
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
    }
    const source = async function* (signal: AbortSignal): AsyncIterable<ChatEvent> {
      yield { type: 'content', text: 'a' }
      yield { type: 'content', text: 'b' }
      yield* slowAfter([], seen)(signal)
    }
    const started = Date.now()
    const record = await relayReply(source, send, { clientGone: new AbortController().signal, deadlineMs: 80, maxChars: 1_000_000 })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(record.parts).toEqual([{ type: 'error', code: 'CHAT_REPLY_TIMEOUT', message: 'the reply did not finish within 0.08 s' }])
    expect(record.content).toBe('ab')
  })

  it('cancels the call when the browser goes away, recording CHAT_REPLY_INTERRUPTED', async () => {
    const seen: { aborted?: boolean } = {}
    const gone = new AbortController()
    const { done } = relay(slowAfter([{ type: 'content', text: 'half' }], seen), { clientGone: gone.signal })
    await sleep(20)
    gone.abort()
    const record = await done
    expect(seen.aborted).toBe(true)
    expect(record.parts).toEqual([{ type: 'error', code: 'CHAT_REPLY_INTERRUPTED', message: 'the browser went away before the reply finished' }])
    expect(record.content).toBe('half')
  })

  it('cuts a reply off at its size with CHAT_REPLY_TOO_LONG, cancelling the call and keeping what fit', async () => {
    let callSignal: AbortSignal | undefined
    const { sent, done } = relay(
      async function* (signal) {
        callSignal = signal
        yield { type: 'content', text: 'x'.repeat(60) }
        yield { type: 'thinking', text: 't'.repeat(30) }
        yield { type: 'content', text: 'y'.repeat(20) }
        yield { type: 'content', text: 'never asked for' }
      },
      { maxChars: 100 },
    )
    const record = await done
    expect(callSignal?.aborted).toBe(true)
    expect(record.content).toBe('x'.repeat(60))
    expect(record.parts).toEqual([
      { type: 'thinking', text: 't'.repeat(30) },
      { type: 'error', code: 'CHAT_REPLY_TOO_LONG', message: 'the reply grew past 100 characters and was cut off there' },
    ])
    expect(sent.map((event) => event.type)).toEqual(['content', 'thinking', 'error'])
  })
})
