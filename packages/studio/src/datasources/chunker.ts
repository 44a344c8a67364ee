/** The content types a document may have. */
export type DocumentContentType = 'text/plain' | 'text/markdown'

/** How `chunkText` reads and cuts a document. */
export interface ChunkOptions {
  contentType: DocumentContentType
  /** The most characters a chunk holds (a single word longer than this is cut). */
  size?: number
  /** About how many characters of a chunk's end start the next chunk of the same section. */
  overlap?: number
  /**
   * Stop once there are more chunks than this (the caller refuses such a
   * document): 5 MB of `#` lines are 2.6 million chunks, hundreds of MB to
   * hold and minutes of inserts.
   */
  limit?: number
}

const CHUNK_SIZE = 1000
const CHUNK_OVERLAP = 100

const HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/

/**
 * Splits a document into chunks for full-text search: markdown at its
 * headings (a heading starts a chunk and stays with the text under it), then
 * at blank lines, packing paragraphs into chunks of at most `size`
 * characters. A paragraph too long for one chunk is split between words; the
 * next chunk of a section repeats the last ~`overlap` characters (whole
 * words) of the one before, so a phrase across the cut is still found.
 * Never returns an empty chunk; returns none for a blank document; stops
 * after the section that takes it past `limit`.
 * @example chunkText('# Setup\n\nRun npm ci.', { contentType: 'text/markdown' }) // ['# Setup\n\nRun npm ci.']
 */
export function chunkText(text: string, options: ChunkOptions): string[] {
  const size = options.size ?? CHUNK_SIZE
  const overlap = Math.min(options.overlap ?? CHUNK_OVERLAP, Math.floor(size / 2))
  const chunks: string[] = []
  const limit = options.limit ?? Infinity
  for (const section of sectionsOf(text.replace(/\r\n?/g, '\n'), options.contentType === 'text/markdown')) {
    if (chunks.length > limit) break
    const sectionStart = chunks.length
    let current = ''
    // Whether `current` holds more than the overlap carried from the chunk before.
    let fresh = false
    const emit = () => {
      if (!fresh) return
      chunks.push(current)
      current = tailOf(current, overlap)
      fresh = false
    }
    const fits = (piece: string, separator: string) => (current ? current.length + separator.length : 0) + piece.length <= size
    const append = (piece: string, separator: string) => {
      current = current ? `${current}${separator}${piece}` : piece
      fresh = true
    }
    for (const [i, paragraph] of section.entries()) {
      // A heading is not worth a chunk of its own: the first paragraph under it joins it whatever its size.
      if (fits(paragraph, '\n\n')) {
        append(paragraph, '\n\n')
        continue
      }
      if (!(i === 1 && HEADING.test(section[0]!))) emit()
      if (fits(paragraph, '\n\n')) {
        append(paragraph, '\n\n')
        continue
      }
      for (const [j, { word, before }] of wordsOf(paragraph, size).entries()) {
        const separator = j === 0 ? '\n\n' : before
        if (!fits(word, separator)) emit()
        // The carried overlap and a word of nearly `size` may not fit together: the word wins.
        if (!fits(word, separator)) current = ''
        append(word, separator)
      }
    }
    if (fresh || chunks.length === sectionStart) {
      if (current) chunks.push(current)
    }
  }
  return chunks
}

/** Sections (each a heading, when it has one, then its paragraphs), blank ones left out; one at a time, so a caller that stops early never holds them all. */
function* sectionsOf(text: string, markdown: boolean): Generator<string[]> {
  let lines: string[] = []
  let fenced = false
  const close = () => {
    const paragraphs = lines
      .join('\n')
      .split(/\n[ \t]*\n/)
      .map((p) => p.trim())
      .filter((p) => p !== '')
    lines = []
    return paragraphs
  }
  for (const line of text.split('\n')) {
    // A `#` inside a fenced code block is a comment, not a heading.
    if (markdown && /^ {0,3}(```|~~~)/.test(line)) fenced = !fenced
    if (markdown && !fenced && HEADING.test(line)) {
      const section = close()
      if (section.length > 0) yield section
      lines.push(line, '')
      continue
    }
    lines.push(line)
  }
  const last = close()
  if (last.length > 0) yield last
}

/** A paragraph's words, each with the whitespace before it (a line break kept as one, else a space); a word longer than `size` in pieces. */
function wordsOf(paragraph: string, size: number): { word: string; before: string }[] {
  const words: { word: string; before: string }[] = []
  let before = ' '
  for (const token of paragraph.split(/(\s+)/)) {
    if (token === '') continue
    if (/^\s/.test(token)) before = token.includes('\n') ? '\n' : ' '
    else for (let start = 0; start < token.length; start += size) words.push({ word: token.slice(start, start + size), before: start === 0 ? before : ' ' })
  }
  return words
}

/** The end of a chunk, at most `overlap` characters, starting at a word. */
function tailOf(chunk: string, overlap: number): string {
  if (overlap <= 0) return ''
  const from = chunk.length - overlap
  if (from <= 0) return ''
  const space = chunk.slice(from - 1).search(/\s/)
  return space < 0 ? '' : chunk.slice(from - 1 + space).trim()
}
