import { describe, expect, it } from 'vitest'
import { StreamMeter } from './usage-meter.js'

const event = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`

describe('StreamMeter', () => {
  it('counts an event split across chunks, even inside a line or a UTF-8 character, as when it came whole', () => {
    const bytes = Buffer.from(event('héllo wörld, twelve chars') + event('x'.repeat(40)))
    const whole = new StreamMeter()
    whole.add(bytes)
    for (const size of [1, 2, 3, 7, 50]) {
      const split = new StreamMeter()
      for (let i = 0; i < bytes.length; i += size) split.add(bytes.subarray(i, i + size))
      expect(split.tokens, `chunks of ${size} bytes`).toBe(whole.tokens)
    }
    expect(whole.tokens).toBe(Math.ceil((25 + 40) / 4))
  })

  it('takes one 2 MB event in 1 KB chunks in well under a second', () => {
    const bytes = Buffer.from(event('x'.repeat(2_000_000)))
    const meter = new StreamMeter()
    const started = performance.now()
    for (let i = 0; i < bytes.length; i += 1000) meter.add(bytes.subarray(i, i + 1000))
    expect(performance.now() - started).toBeLessThan(500)
    expect(meter.tokens).toBe(500_000)
  })
})
