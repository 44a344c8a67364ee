import { describe, expect, it } from 'vitest'
import { SseParser } from './sse-events'

describe('SseParser', () => {
  it('gives each event once it is complete, also across chunks', () => {
    const parser = new SseParser()
    expect(parser.push('event: content\ndata: {"te')).toEqual([])
    expect(parser.push('xt":"a"}\n\nevent: done\r\ndata: {}\r\n\r\n: comment\n\n')).toEqual([
      { event: 'content', data: '{"text":"a"}' },
      { event: 'done', data: '{}' },
    ])
  })

  it('joins data lines and defaults the name to message', () => {
    expect(new SseParser().push('data: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }])
  })
})
