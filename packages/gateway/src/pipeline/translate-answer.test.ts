import { describe, expect, it } from 'vitest'
import { anthropicMessages } from '../dialects/anthropic.js'
import type { Dialect } from '../dialects/dialect.js'
import { openAiResponses } from '../dialects/responses.js'
import { contentDeltaLiteral } from './content-delta.js'
import { StreamTranslation } from './translate-answer.js'

/** mulberry32: the same streams on every run, so a failure can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PIECES = ['plain', ' words', '"', '\\', '/', '\n', '\t', '\r', '\b', '\f', '\u0000', '\u001f', '\u007f', 'é', '😀', '\u2028', '\u2029', '中文', '</script>', '\\u0041', '{"json":1}', 'a\\"b']

type Chunk = Record<string, unknown>
/** One event of a canonical stream, spelled two ways: as a vendor writes it, and in a form only the parser reads (a leading space). */
type Event = { vendor: string; parsed: string }

class StreamMaker {
  readonly #random: () => number
  readonly texts: string[] = []

  constructor(seed: number) {
    this.#random = seeded(seed)
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)]!
  }

  #text(): string {
    const count = Math.floor(this.#random() * 5)
    return Array.from({ length: count }, () => this.#pick(PIECES)).join('')
  }

  /** `value`'s literal as JSON.stringify writes it or, now and then, with escapes that read the same (`\/`, `\u…` in either case). */
  #spelled(value: string): string {
    let out = '"'
    for (const char of value) {
      const roll = this.#random()
      if (roll < 0.05) out += [...Array(char.length).keys()].map((i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')
      else if (roll < 0.07) out += [...Array(char.length).keys()].map((i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase()}`).join('')
      else if (char === '/' && roll < 0.3) out += '\\/'
      else out += JSON.stringify(char).slice(1, -1)
    }
    return `${out}"`
  }

  #chunk(delta: Chunk, options: { finish?: string; extra?: Chunk; choiceExtra?: Chunk } = {}): Chunk {
    const choice = this.#random() < 0.3 ? { index: 0, delta, finish_reason: options.finish ?? null } : { index: 0, delta, finish_reason: options.finish ?? null, logprobs: null }
    return { id: 'chatcmpl-msg_01', object: 'chat.completion.chunk', created: 1700000000, model: 'm', choices: [{ ...choice, ...options.choiceExtra }], ...options.extra }
  }

  #event(chunk: Chunk): Event {
    const json = JSON.stringify(chunk)
    return { vendor: json, parsed: ` ${json}` }
  }

  /** A text delta as the vendors write it, its content spelled in any way a parser reads. */
  #textEvent(text: string): Event {
    const extra = this.#pick([{}, {}, { usage: null }, { system_fingerprint: 'fp_1', usage: null, obfuscation: 'Zq' }])
    const chunk = this.#chunk({ content: text }, { extra })
    const json = JSON.stringify(chunk)
    const literal = JSON.stringify(text)
    return { vendor: json.replace(`"content":${literal}`, () => `"content":${this.#spelled(text)}`), parsed: ` ${json}` }
  }

  stream(): Event[] {
    const events: Event[] = []
    if (this.#random() < 0.8) events.push(this.#event(this.#chunk({ role: 'assistant', content: '' })))
    let toolIndex = 0
    const steps = Math.floor(this.#random() * 30)
    for (let step = 0; step < steps; step++) {
      const roll = this.#random()
      if (roll < 0.6) {
        const text = this.#text()
        this.texts.push(text)
        events.push(this.#textEvent(text))
      } else if (roll < 0.75) {
        // Nearly the common shape, but not quite: the parser's.
        const text = this.#text()
        this.texts.push(text)
        const near = this.#pick<{ delta?: Chunk; finish?: string; extra?: Chunk; choiceExtra?: Chunk }>([
          { delta: { content: text, refusal: null } },
          { delta: { role: 'assistant', content: text } },
          { choiceExtra: { logprobs: { content: [] } } },
          { extra: { usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } } },
          { extra: { service_tier: { nested: true } } },
          { finish: 'length' },
        ])
        events.push(this.#event(this.#chunk(near.delta ?? { content: text }, near)))
      } else if (roll < 0.8) {
        events.push(this.#event(this.#chunk({ refusal: this.#text() })))
      } else if (roll < 0.9) {
        const index = toolIndex++
        events.push(this.#event(this.#chunk({ tool_calls: [{ index, id: `call_${index}`, type: 'function', function: { name: `tool_${index}`, arguments: '' } }] })))
        const pieces = Math.floor(this.#random() * 3)
        for (let i = 0; i < pieces; i++) events.push(this.#event(this.#chunk({ tool_calls: [{ index, function: { arguments: this.#text() } }] })))
      } else {
        events.push(this.#pick([{ vendor: ': keep-alive', parsed: ': keep-alive' }, { vendor: 'not json', parsed: ' not json' }, { vendor: '{"id":"c","created":01}', parsed: '{"id":"c","created":01}' }]))
      }
    }
    events.push(this.#event(this.#chunk({}, { finish: this.#pick(['stop', 'length', 'tool_calls']) })))
    events.push(this.#event({ id: 'chatcmpl-msg_01', object: 'chat.completion.chunk', created: 1700000000, model: 'm', choices: [], usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 } }))
    return events
  }

  /** The bytes pushed: one buffer per event as the vendors send them, or whole events grouped, or cut anywhere. */
  buffers(datas: string[]): Buffer[] {
    const blocks = datas.map((data) => Buffer.from(data.startsWith(':') ? `${data}\n\n` : `data: ${data}\n\n`))
    const mode = this.#random()
    if (mode < 0.6) return blocks
    const bytes = Buffer.concat(blocks)
    const cuts = mode < 0.8 ? blocks.map((_, i) => Buffer.concat(blocks.slice(0, i + 1)).length).filter(() => this.#random() < 0.5) : Array.from({ length: 8 }, () => Math.floor(this.#random() * bytes.length)).sort((a, b) => a - b)
    return [...cuts, bytes.length].map((cut, i, all) => bytes.subarray(i === 0 ? 0 : all[i - 1], cut))
  }
}

/** The Responses ids and clock are per answer: numbered by first appearance, so two answers' streams compare. */
function normalised(text: string): string {
  const ids = new Map<string, string>()
  return text.replace(/\b(resp|msg|fc)_[0-9a-f]{32}\b/g, (id, prefix: string) => ids.get(id) ?? ids.set(id, `${prefix}_${ids.size}`).get(id)!).replace(/"created_at":\d+/g, '"created_at":0')
}

const STREAM_ERROR = { status: 502, code: 'UPSTREAM_STREAM_TRUNCATED', message: 'The stream broke.', type: 'api_error', param: null }

function translate(dialect: Dialect, buffers: Buffer[], ending: 'done' | 'error' | 'none'): string {
  const answer = dialect.answer({ model: 'client-model', max_tokens: 100, input: 'hi', stream: true })
  const translation = new StreamTranslation(answer)
  let out = buffers.map((buffer) => translation.push(buffer)).join('')
  if (ending === 'done') out += translation.push(Buffer.from('data: [DONE]\n\n'))
  if (ending === 'error') out += answer.error(STREAM_ERROR)
  return out
}

describe.each([
  ['Messages', anthropicMessages],
  ['Responses', openAiResponses],
])('StreamTranslation to %s', (name, dialect) => {
  it('answers the same bytes for text deltas read from their bytes as for the same chunks parsed', () => {
    let fast = 0
    for (let seed = 1; seed <= 400; seed++) {
      const maker = new StreamMaker(seed)
      const events = maker.stream()
      fast += events.filter((event) => contentDeltaLiteral(event.vendor) !== undefined).length
      const ending = seed % 10 === 0 ? 'error' : seed % 10 === 1 ? 'none' : 'done'
      const vendor = translate(dialect, maker.buffers(events.map((e) => e.vendor)), ending)
      const parsed = translate(dialect, maker.buffers(events.map((e) => e.parsed)), ending)
      expect(normalised(vendor), `stream ${seed}`).toBe(normalised(parsed))
      if (name === 'Responses' && ending === 'done') {
        const completed = JSON.parse(vendor.trimEnd().split('\n').at(-1)!.slice('data: '.length)) as { response: { output: Array<{ type: string; content?: Array<{ text: string }> }> } }
        const text = completed.response.output.flatMap((item) => item.content ?? []).map((part) => part.text)
        expect(text.join(''), `stream ${seed}`).toBe(maker.texts.join(''))
      }
    }
    // Most text deltas took the fast path; spelled otherwise or nearly the shape, the rest took the parser.
    expect(fast).toBeGreaterThan(1000)
  })
})
