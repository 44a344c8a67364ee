export type PiiKind = 'email' | 'phone'

export const PII_KINDS: readonly PiiKind[] = ['email', 'phone']

interface Detector {
  label: string
  /** A regex source without capturing groups: detectors are combined into one alternation. */
  pattern: string
  /** The longest text a match can span; a stream holds back at most this much for this kind. */
  maxLength: number
  /** Matches the end of a text that could still grow into a match. */
  tail: RegExp
  accept?(match: string): boolean
}

const DETECTORS: Record<PiiKind, Detector> = {
  email: {
    label: '[EMAIL]',
    pattern: String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`,
    maxLength: 254,
    tail: /[A-Za-z0-9._%+@-]+$/,
  },
  phone: {
    label: '[PHONE]',
    // International (+, country code, groups) or North American (555-123-4567, (555) 123-4567).
    pattern: String.raw`(?<![\w+])(?:\+\d{1,3}(?:[-. ]?(?:\(\d{1,4}\)|\d{1,4})){2,5}|(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4})(?!\w)`,
    maxLength: 40,
    tail: /\+?[\d(][\d() .-]*$|\+$/,
    accept: (match) => {
      const digits = match.replace(/\D/g, '').length
      return digits >= 8 && digits <= 15
    },
  },
}

interface Match {
  start: number
  end: number
  label: string
}

/**
 * Finds emails and phone numbers in text and replaces them with `[EMAIL]` and
 * `[PHONE]`, for whole texts and for text that arrives in pieces.
 */
export class Redactor {
  readonly #detectors: Detector[]
  readonly #pattern: RegExp

  /** @param kinds what to find; at least one. */
  constructor(kinds: readonly PiiKind[]) {
    this.#detectors = kinds.map((kind) => DETECTORS[kind])
    this.#pattern = new RegExp(this.#detectors.map((d) => `(${d.pattern})`).join('|'), 'g')
  }

  /** The text with every match replaced, and how many there were. */
  redact(text: string): { text: string; count: number } {
    const matches = this.#matches(text)
    return { text: replace(text, matches, text.length), count: matches.length }
  }

  /**
   * Splits text that may continue (a stream so far) into a redacted prefix that
   * is safe to send now and a raw tail held back because more text could turn
   * it into a match (or lengthen one). Feed `held` plus the next piece back in;
   * redact the last `held` whole when the text ends.
   */
  redactPrefix(text: string): { text: string; held: string; count: number } {
    let cut = text.length
    for (const detector of this.#detectors) {
      const window = text.slice(-detector.maxLength)
      const tail = detector.tail.exec(window)
      if (tail) cut = Math.min(cut, text.length - window.length + tail.index)
    }
    const matches = this.#matches(text)
    // A complete match may start before the tail (e.g. a phone number with spaces): hold all of it.
    cut = matches.find((m) => m.start < cut && cut < m.end)?.start ?? cut
    const sent = matches.filter((m) => m.end <= cut)
    return { text: replace(text, sent, cut), held: text.slice(cut), count: sent.length }
  }

  #matches(text: string): Match[] {
    const found: Match[] = []
    for (const match of text.matchAll(this.#pattern)) {
      const detector = this.#detectors[match.findIndex((group, i) => i > 0 && group !== undefined) - 1]!
      if (detector.accept && !detector.accept(match[0])) continue
      found.push({ start: match.index, end: match.index + match[0].length, label: detector.label })
    }
    return found
  }
}

/** `text` up to `end`, with each match (all ending by `end`) replaced by its label. */
function replace(text: string, matches: Match[], end: number): string {
  let out = ''
  let at = 0
  for (const match of matches) {
    out += text.slice(at, match.start) + match.label
    at = match.end
  }
  return out + text.slice(at, end)
}
