import { describe, expect, it } from 'vitest'
import { SseSplitter, parseSseEvent, type SplitEvent } from './sse.js'

/** Pushes `bytes` cut at every offset in `cuts`, and returns every event with its raw bytes as text. */
function split(bytes: Buffer, cuts: number[], splitter = new SseSplitter()): Array<{ raw: string; event: string; data: string }> {
  const events: SplitEvent[] = []
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    events.push(...splitter.push(bytes.subarray(from, cut)))
    from = cut
  }
  return events.map(({ raw, event }) => ({ raw: raw.toString('utf8'), ...event }))
}

/** Every way to cut `bytes` into two chunks, and into single bytes. */
function everyCut(bytes: Buffer): number[][] {
  return [[], ...Array.from({ length: bytes.length - 1 }, (_, i) => [i + 1]), Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)]
}

describe('SseSplitter', () => {
  it('keeps a multi-byte character whole, wherever the chunks cut it', () => {
    const text = 'data: {"content":"é😀ü"}\n\ndata: [DONE]\n\n'
    const bytes = Buffer.from(text)
    for (const cuts of everyCut(bytes)) {
      expect(split(bytes, cuts)).toEqual([
        { raw: 'data: {"content":"é😀ü"}\n\n', event: 'message', data: '{"content":"é😀ü"}' },
        { raw: 'data: [DONE]\n\n', event: 'message', data: '[DONE]' },
      ])
    }
  })

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('ends lines with %s, cut anywhere, and forwards the bytes unchanged', (_name, eol) => {
    const first = `event: delta${eol}data: a${eol}data: b${eol}${eol}`
    const second = `: a comment${eol}data: c${eol}${eol}`
    const bytes = Buffer.from(first + second)
    for (const cuts of everyCut(bytes)) {
      const events = split(bytes, cuts)
      expect(events.map(({ event, data }) => ({ event, data }))).toEqual([
        { event: 'delta', data: 'a\nb' },
        { event: 'message', data: 'c' },
      ])
      // An event ending in a CR at a chunk's end is complete: the LF that may follow is dropped, never misread.
      const lines = (text: string) => text.replace(/\r\n?/g, '\n')
      expect(lines(events.map((e) => e.raw).join(''))).toBe(lines(bytes.toString()))
    }
    expect(split(bytes, []).map((e) => e.raw).join('')).toBe(bytes.toString())
  })

  it('reads mixed line endings and an event made of a CR then an LF-terminated blank line', () => {
    const events = split(Buffer.from('data: a\r\ndata: b\n\rdata: c\r\r\ndata: d\n\n'), [])
    expect(events.map((e) => e.data)).toEqual(['a\nb', 'c', 'd'])
  })

  it('reads a chunk that is one whole data event as the line scan does, whatever came before it', () => {
    // Chunks as they come (several look like one whole event); single bytes never do, so they take the line scan.
    const chunks = [
      'data: {"a":"é😀"}\n\n',
      'data: \n\n',
      'data: half\n',
      'data: of it\n\n',
      'data: x\r',
      '\n\n',
      'data: after a CR\r\r',
      'data: y\n\n',
      'data: z\r\n\r\n',
      'data:no space\n\n',
      'data: one\ndata: two\n\n',
      'data: a\n\ndata: b\n\n',
      'event: named\n\n',
      'data: [DONE]\n\n',
    ]
    const bytes = Buffer.from(chunks.join(''))
    const cuts = chunks.slice(0, -1).map((_, i) => Buffer.byteLength(chunks.slice(0, i + 1).join('')))
    const fields = (events: ReturnType<typeof split>) => events.map(({ event, data }) => ({ event, data }))
    const events = split(bytes, cuts)
    expect(fields(events)).toEqual(fields(split(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1))))
    expect(events.map((e) => e.raw).join('')).toBe(bytes.toString())
    expect(events.map((e) => e.data)).toEqual(['{"a":"é😀"}', '', 'half\nof it', 'x', 'after a CR', 'y', 'z', 'no space', 'one\ntwo', 'a', 'b', '', '[DONE]'])
  })

  it('refuses to buffer an event past its limit, across chunks or within one', () => {
    const splitter = new SseSplitter(64)
    expect(splitter.push(Buffer.from(`data: ${'x'.repeat(40)}`))).toEqual([])
    expect(() => splitter.push(Buffer.from('y'.repeat(40)))).toThrow(expect.objectContaining({ code: 'UPSTREAM_RESPONSE_TOO_LARGE' }))
    expect(() => new SseSplitter(64).push(Buffer.from(`data: ${'x'.repeat(100)}\n\n`))).toThrow(expect.objectContaining({ code: 'UPSTREAM_RESPONSE_TOO_LARGE' }))
    expect(split(Buffer.from(`data: ${'x'.repeat(50)}\n\ndata: ${'y'.repeat(50)}\n\n`), [], new SseSplitter(64))).toHaveLength(2)
  })
})

describe('parseSseEvent', () => {
  it('takes the field value after one optional space, and skips comments and unknown fields', () => {
    expect(parseSseEvent('event:ping\ndata:  two spaces\nid: 7\n: note\n\n')).toEqual({ event: 'ping', data: ' two spaces' })
    expect(parseSseEvent(': only a comment\n\n')).toBeUndefined()
    expect(parseSseEvent('data\n\n')).toEqual({ event: 'message', data: '' })
  })
})
