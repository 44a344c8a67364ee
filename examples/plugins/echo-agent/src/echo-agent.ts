import { setTimeout as sleep } from 'node:timers/promises'
import { BasePlugin, type Agent, type AgentChunk, type AgentRequest, type HookContext } from '@plugboard/sdk'

/** The pause between two words: slow enough to watch a reply stream, fast enough for tests. */
export const WORD_DELAY_MS = 15

/** Asks the agent to fail halfway through its reply (an `error` chunk after some content). */
export const FAIL_MARKER = '#fail'
/** Asks the agent to call its `count_words` tool first and show the result. */
export const TOOL_MARKER = '#tool'
/** Asks the agent to start its reply with `sent-at:<Date.now()>`: how a test measures the way from the agent to the screen. */
export const STAMP_MARKER = '#stamp'

/** The words and the spaces after them, so the streamed text joins back into the message exactly. */
function wordsOf(text: string): string[] {
  return text.match(/\S+\s*/g) ?? []
}

/**
 * An agent that thinks aloud, then echoes the user's message back word by
 * word and says how many earlier messages the host gave it (the
 * conversation's history, which Studio reads from its database). `#fail` in
 * the message makes it fail after half the words; `#tool` shows a tool call
 * and its result; `#stamp` starts the reply with the time it was sent.
 */
export class EchoAgent extends BasePlugin implements Agent {
  readonly manifest = {
    id: 'echo-agent',
    name: 'Echo agent',
    version: '0.1.0',
    description: 'Echoes your message back word by word and says how much history it was given',
    runtimes: ['studio' as const],
  }

  async *handleMessage({ message, history, user }: AgentRequest, ctx: HookContext): AsyncIterable<AgentChunk> {
    const earlier = history.length
    yield { type: 'thinking', text: `${user?.name || user?.email || 'Someone'} wrote ${message.content.length} characters; the history holds ${earlier} earlier message${earlier === 1 ? '' : 's'}.` }
    if (message.content.includes(STAMP_MARKER)) yield { type: 'content', text: `sent-at:${Date.now()} ` }
    const words = wordsOf(message.content)
    if (message.content.includes(TOOL_MARKER)) {
      yield { type: 'tool_call', id: 'count-1', name: 'count_words', arguments: { text: message.content } }
      yield { type: 'tool_result', id: 'count-1', result: { words: words.length } }
    }
    const failAt = message.content.includes(FAIL_MARKER) ? Math.ceil(words.length / 2) : -1
    yield { type: 'content', text: 'Echo: ' }
    for (const [index, word] of words.entries()) {
      await sleep(WORD_DELAY_MS, undefined, { signal: ctx.signal })
      yield { type: 'content', text: word }
      if (index + 1 === failAt) {
        yield { type: 'error', code: 'ECHO_FAILED', message: `asked to fail (${FAIL_MARKER}) after ${failAt} of ${words.length} words` }
        return
      }
    }
    yield { type: 'content', text: `\n(I got ${earlier} earlier message${earlier === 1 ? '' : 's'} in the history.)` }
    yield { type: 'done' }
  }
}
