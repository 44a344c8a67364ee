import { describe, expect, it } from 'vitest'
import { maxCompletionTokensOf, usageOfBody } from './usage.js'

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
