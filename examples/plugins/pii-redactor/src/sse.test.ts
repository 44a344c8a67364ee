import { describe, expect, it } from 'vitest'
import { EventSplitter } from './sse.js'

describe('EventSplitter', () => {
  it('gives each event once it is complete, also when its blank line is split across pieces', () => {
    const splitter = new EventSplitter()
    expect(splitter.push('data: 1\n\ndata: ')).toEqual(['data: 1\n\n'])
    expect(splitter.push('2\r\n')).toEqual([])
    expect(splitter.push('\r\ndata: 3\n')).toEqual(['data: 2\r\n\r\n'])
    expect(splitter.push('\n: comment\n\ndata: 4')).toEqual(['data: 3\n\n', ': comment\n\n'])
    expect(splitter.end()).toBe('data: 4')
    expect(splitter.end()).toBe('')
  })

  it('takes one 2 MB event in 1 KB pieces in well under a second (joining it at every piece took 3 s)', () => {
    const event = `data: {"choices":[{"delta":{"content":"${'x'.repeat(2_000_000)}"}}]}\n\n`
    const splitter = new EventSplitter()
    const started = performance.now()
    const events: string[] = []
    for (let i = 0; i < event.length; i += 1000) events.push(...splitter.push(event.slice(i, i + 1000)))
    expect(performance.now() - started).toBeLessThan(500)
    expect(events).toEqual([event])
  })
})
