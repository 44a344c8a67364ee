import { describe, expect, it } from 'vitest'
import { completionError, completionText } from './completion-text.js'

const delta = (content: string, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`

async function* bytes(...parts: Array<string | Buffer>): AsyncIterable<Buffer> {
  for (const part of parts) yield Buffer.isBuffer(part) ? part : Buffer.from(part)
}

async function collect(body: AsyncIterable<Buffer>): Promise<string[]> {
  const pieces: string[] = []
  for await (const piece of completionText(body)) pieces.push(piece)
  return pieces
}

describe('completionText', () => {
  it('yields each content delta, across events split anywhere (UTF-8 too), until [DONE]', async () => {
    const all = Buffer.from(`${delta('Hé')}${delta('llo')}: comment\n\n${delta(' wörld', 'stop')}data: [DONE]\n\n${delta('after')}`)
    const cut = [5, 9, 40, 41, 80]
    const parts = cut.map((at, i) => all.subarray(i === 0 ? 0 : cut[i - 1], at))
    parts.push(all.subarray(80))
    expect(await collect(bytes(...parts))).toEqual(['Hé', 'llo', ' wörld'])
  })

  it('takes CRLF events and a stream that ends after its finish reason without [DONE]', async () => {
    expect(await collect(bytes(delta('a').replace(/\n/g, '\r\n'), delta('', 'stop')))).toEqual(['a'])
  })

  it('fails with the LLM error an event carries, after the text before it', async () => {
    const pieces: string[] = []
    const run = async () => {
      for await (const piece of completionText(bytes(delta('Part'), `data: ${JSON.stringify({ error: { message: 'the LLM stream broke off', code: 'UPSTREAM_STREAM_TRUNCATED' } })}\n\n`))) pieces.push(piece)
    }
    await expect(run()).rejects.toMatchObject({ code: 'RESEARCH_LLM_FAILED', message: 'the LLM failed mid-answer (UPSTREAM_STREAM_TRUNCATED): the LLM stream broke off' })
    expect(pieces).toEqual(['Part'])
  })

  it('fails when the stream ends before it is complete, or sends junk', async () => {
    await expect(collect(bytes(delta('half')))).rejects.toMatchObject({ code: 'RESEARCH_LLM_STREAM_CUT' })
    await expect(collect(bytes('data: {nope\n\n'))).rejects.toMatchObject({ code: 'RESEARCH_LLM_FAILED' })
  })

  it("reads a refused completion's message from the OpenAI error shape, or takes the body", () => {
    expect(completionError(429, JSON.stringify({ error: { message: 'budget exceeded', code: 'BUDGET_EXCEEDED' } })).message).toBe('the LLM answered 429: budget exceeded (BUDGET_EXCEEDED)')
    expect(completionError(502, 'x'.repeat(1000)).message).toHaveLength('the LLM answered 502: '.length + 300)
  })
})
