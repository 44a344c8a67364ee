import { describe, expect, it } from 'vitest'
import { StreamUsage, maxCompletionTokensOf, usageOfBody } from './usage.js'

const event = (delta: object) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`

describe('StreamUsage', () => {
  it('estimates completion tokens from content and tool call arguments, across chunk cuts', () => {
    const usage = new StreamUsage(() => 5)
    const bytes = Buffer.from(event({ content: 'éééé' }) + event({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }) + 'data: [DONE]\n\n')
    for (let i = 0; i < bytes.length; i += 7) usage.push(bytes.subarray(i, i + 7))
    expect(usage.usage).toEqual({ promptTokens: 5, completionTokens: Math.ceil(11 / 4), totalTokens: 5 + Math.ceil(11 / 4) })
  })

  it('stops following, with what it counted, when a chunk it is given grows past the event limit', () => {
    const usage = new StreamUsage(() => 0, 256)
    usage.push(Buffer.from(event({ content: 'abcdefgh' })))
    expect(() => usage.push(Buffer.from(`data: "${'x'.repeat(1000)}`))).not.toThrow()
    usage.push(Buffer.from(`"\n\n${event({ content: 'more text' })}`))
    expect(usage.usage.completionTokens).toBe(2)
  })
})

describe('maxCompletionTokensOf', () => {
  it('takes the request limit, newest name first, times n; else the fallback', () => {
    expect(maxCompletionTokensOf({ max_completion_tokens: 10, max_tokens: 99 }, 500)).toBe(10)
    expect(maxCompletionTokensOf({ max_tokens: 20, n: 3 }, 500)).toBe(60)
    expect(maxCompletionTokensOf({ max_output_tokens: 7 }, 500)).toBe(7)
    expect(maxCompletionTokensOf({ max_tokens: null, n: 2 }, 500)).toBe(1000)
    expect(maxCompletionTokensOf({ max_tokens: -1, n: 0.5 }, 500)).toBe(500)
  })
})

describe('usageOfBody', () => {
  it('reads OpenAI chat usage and the input/output tokens of the Responses and Anthropic APIs', () => {
    const body = (usage: unknown) => Buffer.from(JSON.stringify({ usage }))
    expect(usageOfBody(body({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }))).toEqual({ promptTokens: 3, completionTokens: 2, totalTokens: 5 })
    expect(usageOfBody(body({ input_tokens: 7, output_tokens: 5 }))).toEqual({ promptTokens: 7, completionTokens: 5, totalTokens: 12 })
    expect(usageOfBody(body(undefined))).toBeUndefined()
    expect(usageOfBody(Buffer.from('not json'))).toBeUndefined()
  })
})
