import { describe, expect, it } from 'vitest'
import { contentDeltaLiteral } from './content-delta.js'

const HEAD = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m"'
const contentChunk = (literal: string, choiceTail = ',"finish_reason":null,"logprobs":null', head = HEAD, tail = '') =>
  `${head},"choices":[{"index":0,"delta":{"content":${literal}}${choiceTail}}]${tail}}`

describe('contentDeltaLiteral', () => {
  it('finds the literal in the text deltas the vendors and OpenAI write', () => {
    const text = 'a "quoted" \\ back\nslash\t😀 é \u2028 /'
    const literal = JSON.stringify(text)
    // The mock vendor, the anthropic vendor (usage: null with include_usage), the gateway bench's upstream, OpenAI.
    expect(contentDeltaLiteral(contentChunk(literal))).toBe(literal)
    expect(contentDeltaLiteral(contentChunk(literal, ',"finish_reason":null,"logprobs":null', HEAD, ',"usage":null'))).toBe(literal)
    expect(contentDeltaLiteral(contentChunk(literal, ',"finish_reason":null'))).toBe(literal)
    const openAiHead = `${HEAD},"service_tier":"default","system_fingerprint":"fp_44709d6fcb"`
    expect(contentDeltaLiteral(contentChunk(literal, ',"logprobs":null,"finish_reason":null', openAiHead, ',"usage":null,"obfuscation":"Xy1"'))).toBe(literal)
    for (const chunk of [contentChunk(literal), contentChunk('"x"', ',"finish_reason":null', openAiHead, ',"usage":null')]) {
      expect(JSON.parse(chunk)).toMatchObject({ choices: [{ delta: { content: JSON.parse(contentDeltaLiteral(chunk)!) } }] })
    }
  })

  it.each([
    ['an empty content', contentChunk('""')],
    ['a \\u escape (JSON.stringify writes the character)', contentChunk('"caf\\u00e9"')],
    ['an escaped solidus', contentChunk('"a\\/b"')],
    ['an escaped U+2028', contentChunk('"a\\u2028b"')],
    ['a raw control character', contentChunk('"a\u0001b"')],
    ['another field in the delta', '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"x","refusal":null},"finish_reason":null}]}'],
    ['a role', '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"x"},"finish_reason":null}]}'],
    ['a finish reason', contentChunk('"x"', ',"finish_reason":"stop"')],
    ['a second choice', contentChunk('"x"', ',"finish_reason":null},{"index":1,"delta":{},"finish_reason":null')],
    ['choice index 1', contentChunk('"x"').replace('"index":0', '"index":1')],
    ['usage', contentChunk('"x"', ',"finish_reason":null', HEAD, ',"usage":{"prompt_tokens":1}')],
    ['usage before the choices', contentChunk('"x"', ',"finish_reason":null', `${HEAD},"usage":null`)],
    ['a second choices field', contentChunk('"x"', ',"finish_reason":null', HEAD, ',"choices":[]')],
    ['an object-valued field', contentChunk('"x"', ',"finish_reason":null', `${HEAD},"meta":{}`)],
    ['whitespace', ` ${contentChunk('"x"')}`],
    ['invalid JSON: a leading zero', contentChunk('"x"', ',"finish_reason":null', HEAD.replace('1700000000', '01'))],
    ['invalid JSON: a raw control character in the id', contentChunk('"x"', ',"finish_reason":null', HEAD.replace('chatcmpl-1', 'chat\ncmpl'))],
    ['another object', contentChunk('"x"').replace('chat.completion.chunk', 'chat.completion')],
  ])('passes over %s', (_what, data) => {
    expect(contentDeltaLiteral(data)).toBeUndefined()
  })
})
