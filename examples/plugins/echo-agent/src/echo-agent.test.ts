import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { EchoAgent } from './echo-agent.js'

type Chunk = Awaited<ReturnType<Awaited<ReturnType<typeof createTestHost>>['agent']>>[number]['chunk']

/** The chunks as `case:value` pairs, easy to compare. */
function cases(chunks: Array<{ chunk?: Chunk }>) {
  return chunks.map(({ chunk }) => chunk)
}

const contentOf = (chunks: Array<{ chunk?: Chunk }>) =>
  chunks.map(({ chunk }) => (chunk?.$case === 'content' ? chunk.value : '')).join('')

describe('EchoAgent (in-process)', () => {
  it('declares an agent that runs in Studio', async () => {
    const host = await createTestHost(new EchoAgent(), { runtime: 'studio' })
    expect(host.manifest()).toMatchObject({ id: 'echo-agent', runtimes: ['studio'], capabilities: expect.arrayContaining(['agent']) })
  })

  it('thinks first, then streams the message back word by word, saying how much history it got', async () => {
    const host = await createTestHost(new EchoAgent(), { runtime: 'studio' })
    const chunks = await host.agent('hello there  world', { history: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Echo: hi' }], user: { id: 'u1', email: 'ada@example.com', name: 'Ada', roles: ['portal'] } })
    const all = cases(chunks)
    expect(all[0]).toEqual({ $case: 'thinking', value: 'Ada wrote 18 characters; the history holds 2 earlier messages.' })
    expect(all.filter((chunk) => chunk?.$case === 'content').map((chunk) => chunk!.value)).toEqual(['Echo: ', 'hello ', 'there  ', 'world', '\n(I got 2 earlier messages in the history.)'])
    expect(all.at(-1)).toEqual({ $case: 'done', value: {} })
  })

  it('fails with an error chunk after half the words when asked to (#fail)', async () => {
    const host = await createTestHost(new EchoAgent(), { runtime: 'studio' })
    const chunks = await host.agent('one two three #fail')
    expect(contentOf(chunks)).toBe('Echo: one two ')
    expect(cases(chunks).at(-1)).toEqual({ $case: 'error', value: { code: 'ECHO_FAILED', message: 'asked to fail (#fail) after 2 of 4 words' } })
    expect(cases(chunks).some((chunk) => chunk?.$case === 'done')).toBe(false)
  })

  it('fails after its only word: an error always comes after some content', async () => {
    const host = await createTestHost(new EchoAgent(), { runtime: 'studio' })
    const chunks = await host.agent('#fail')
    expect(contentOf(chunks)).toBe('Echo: #fail')
    expect(cases(chunks).at(-1)).toMatchObject({ $case: 'error', value: { code: 'ECHO_FAILED' } })
  })

  it('shows a tool call and its result (#tool) before the answer', async () => {
    const host = await createTestHost(new EchoAgent(), { runtime: 'studio' })
    const all = cases(await host.agent('count #tool'))
    expect(all.slice(1, 3)).toEqual([
      { $case: 'toolCall', value: { id: 'count-1', name: 'count_words', argumentsJson: Buffer.from('{"text":"count #tool"}') } },
      { $case: 'toolResult', value: { id: 'count-1', resultJson: Buffer.from('{"words":2}'), isError: false } },
    ])
  })

  it('starts with the time it sent the reply (#stamp)', async () => {
    const host = await createTestHost(new EchoAgent(), { runtime: 'studio' })
    const before = Date.now()
    const first = cases(await host.agent('#stamp')).find((chunk) => chunk?.$case === 'content')
    const stamp = Number(/^sent-at:(\d+) $/.exec(first!.value as string)?.[1])
    expect(stamp).toBeGreaterThanOrEqual(before)
    expect(stamp).toBeLessThanOrEqual(Date.now())
  })
})
