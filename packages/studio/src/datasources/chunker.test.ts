import { describe, expect, it } from 'vitest'
import { chunkText } from './chunker.js'

const words = (n: number, word = 'lorem') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ')

describe('chunkText', () => {
  it('starts a chunk at each markdown heading and keeps the heading with the text under it', () => {
    const chunks = chunkText('# Install\n\nRun npm ci.\n\n## Configure\nSet PLUGBOARD_PORT.\n\nOr pass --port.', { contentType: 'text/markdown' })
    expect(chunks).toEqual(['# Install\n\nRun npm ci.', '## Configure\n\nSet PLUGBOARD_PORT.\n\nOr pass --port.'])
  })

  it('does not take a # line for a heading in plain text or inside a fenced code block', () => {
    expect(chunkText('# not a heading\n\ntext', { contentType: 'text/plain' })).toEqual(['# not a heading\n\ntext'])
    expect(chunkText('# Real\n\n```sh\n# a comment\nls\n```', { contentType: 'text/markdown' })).toEqual(['# Real\n\n```sh\n# a comment\nls\n```'])
  })

  it('packs paragraphs into chunks of at most the size, split at blank lines, with an overlap of whole words', () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => words(30, `p${i}w`))
    const chunks = chunkText(paragraphs.join('\n\n'), { contentType: 'text/plain' })
    expect(chunks.length).toBeGreaterThanOrEqual(3)
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(1000)
    for (const paragraph of paragraphs) expect(chunks.some((c) => c.includes(paragraph))).toBe(true)
    for (let i = 1; i < chunks.length; i++) {
      const head = chunks[i]!.split('\n\n')[0]!
      expect(chunks[i - 1]!.endsWith(head), `chunk ${i} starts with the end of chunk ${i - 1}`).toBe(true)
      expect(head.length).toBeLessThanOrEqual(100)
    }
  })

  it('splits a paragraph longer than a chunk between words, never inside one, the heading staying in the first piece', () => {
    const text = `# Long\n\n${words(600)}`
    const chunks = chunkText(text, { contentType: 'text/markdown' })
    expect(chunks[0]!.startsWith('# Long\n\nlorem0 lorem1')).toBe(true)
    const all = new Set(words(600).split(' '))
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(1000)
      for (const word of chunk.replace('# Long', '').split(/\s+/).filter(Boolean)) expect(all.has(word), word).toBe(true)
    }
    expect(chunks.at(-1)!.endsWith('lorem599')).toBe(true)
  })

  it('cuts only a word longer than a whole chunk; blank documents give no chunks', () => {
    const chunks = chunkText(`short ${'x'.repeat(2500)} tail`, { contentType: 'text/plain', overlap: 0 })
    expect(chunks.map((c) => c.length)).toEqual([5, 1000, 1000, 505])
    expect(chunks.join('')).toBe(`short${'x'.repeat(2500)} tail`)
    expect(chunkText(' \n\n\t\n', { contentType: 'text/markdown' })).toEqual([])
  })

  it('gives a heading with nothing under it a chunk of its own and reads CRLF line ends', () => {
    expect(chunkText('# A\r\n\r\n# B\r\nbody', { contentType: 'text/markdown' })).toEqual(['# A', '# B\n\nbody'])
  })

  it('stops after the section that takes it past the limit', () => {
    expect(chunkText('#\n'.repeat(1000), { contentType: 'text/markdown', limit: 10 })).toHaveLength(11)
    expect(chunkText('#\n'.repeat(10), { contentType: 'text/markdown', limit: 10 })).toHaveLength(10)
  })
})
