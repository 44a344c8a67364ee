const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACKET = 0x5b
const OPEN_BRACE = 0x7b
const CLOSE_BRACKET = 0x5d
const CLOSE_BRACE = 0x7d

/**
 * Whether JSON text nests arrays and objects deeper than `max`, found by one
 * scan of the bytes before anything parses or walks it: code that recurses
 * over a parsed body (hooks' encoders, JSON.stringify, translators) would
 * overflow the stack on a 10,000-deep body. The text need not be valid JSON.
 */
export function jsonNestsDeeper(text: Uint8Array, max: number): boolean {
  // A body this short cannot nest that deep.
  if (text.length <= max) return false
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const byte = text[i]
    if (inString) {
      if (byte === BACKSLASH) i++
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) {
      inString = true
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > max) return true
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--
    }
  }
  return false
}
