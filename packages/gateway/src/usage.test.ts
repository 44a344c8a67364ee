import { describe, expect, it } from 'vitest'
import { StreamUsage } from './usage.js'

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
