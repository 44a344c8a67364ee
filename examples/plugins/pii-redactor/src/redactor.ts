export type PiiKind = 'email' | 'phone'

export const PII_KINDS: readonly PiiKind[] = ['email', 'phone']

interface Span {
  start: number
  end: number
}

interface Match extends Span {
  label: string
}

interface Detector {
  label: string
  /**
   * The leftmost match that starts at or after `from` (text before it is taken), in time
   * linear in the text it looks at: no input may stall the plugin.
   */
  find(text: string, from: number): Span | undefined
  /** The longest text a match can span; a stream holds back at most this much for this kind. */
  maxLength: number
  /** Matches the end of a text that could still grow into a match. */
  tail: RegExp
  accept?(match: string): boolean
}

/** A detector's `find` by a regex, which must need time linear in the text (bounded, unambiguous quantifiers). */
function regexFinder(source: string): Detector['find'] {
  const pattern = new RegExp(source, 'g')
  return (text, from) => {
    pattern.lastIndex = from
    const match = pattern.exec(text)
    return match ? { start: match.index, end: match.index + match[0].length } : undefined
  }
}

const LOCAL_MAX = 64
const LABEL_MAX = 63
/** Labels after the first one, up to the top-level domain: `mail.example.co.uk` has 3. */
const MORE_LABELS_MAX = 8
const isLocalChar = (code: number) => isDomainChar(code) || code === 0x2e || code === 0x5f || code === 0x25 || code === 0x2b // . _ % +
const isDomainChar = (code: number) => isLetter(code) || (code >= 0x30 && code <= 0x39) || code === 0x2d // 0-9 -
const isLetter = (code: number) => (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a

/**
 * `local@label.label….tld`: a local part of up to 64 of `A-Za-z0-9._%+-`, labels of up to 63
 * of `A-Za-z0-9-`, a top-level domain of 2 to 63 letters. Scanned by hand from each "@": each
 * character is looked at a bounded number of times. (A regex with `[…]+@` here tries every start
 * in a long word against the rest of it: one 200,000-character word took minutes.)
 */
function findEmail(text: string, from: number): Span | undefined {
  for (let at = text.indexOf('@', from); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at
    while (start > from && at - start < LOCAL_MAX && isLocalChar(text.charCodeAt(start - 1))) start--
    const end = start < at ? domainEnd(text, at + 1) : undefined
    if (end !== undefined) return { start, end }
  }
  return undefined
}

/**
 * Where the domain starting at `at` ends, as `label(\.label){0,8}\.tld` would match it: labels
 * are runs of 1 to 63 domain characters each followed by ".", and the top-level domain is the
 * leading 2 to 63 letters of the latest label that follows only such labels. Undefined when none.
 */
function domainEnd(text: string, at: number): number | undefined {
  const labels: number[] = []
  for (let start = at; ; ) {
    labels.push(start)
    let end = start
    while (end < text.length && end - start <= LABEL_MAX && isDomainChar(text.charCodeAt(end))) end++
    const whole = end > start && end - start <= LABEL_MAX && text.charCodeAt(end) === 0x2e
    if (!whole || labels.length > MORE_LABELS_MAX + 1) break
    start = end + 1
  }
  for (let i = labels.length - 1; i >= 1; i--) {
    const start = labels[i]!
    let end = start
    while (end - start < LABEL_MAX && isLetter(text.charCodeAt(end))) end++
    if (end - start >= 2) return end
  }
  return undefined
}

const DETECTORS: Record<PiiKind, Detector> = {
  email: {
    label: '[EMAIL]',
    find: findEmail,
    maxLength: 254,
    // Starts only where a run of address characters starts, so each run is scanned once.
    tail: /(?<![A-Za-z0-9._%+@-])[A-Za-z0-9._%+@-]+$/,
  },
  phone: {
    label: '[PHONE]',
    // International (+, country code, groups) or North American (555-123-4567, (555) 123-4567).
    // Digit runs are taken whole ("(?=(\d{1,4}))\1" cannot give digits back): with plain \d{1,4}
    // groups the engine tried every way to split a long digit run before giving up, 0.5 s for
    // 200,000 characters of "+12345678901234567890a ". Only a number of 7 digits or fewer could
    // be found by splitting where taking whole runs finds none, and `accept` rejects those anyway.
    find: regexFinder(
      String.raw`(?<![\w+])(?:\+(?=(\d{1,3}))\1(?:[-. ]?(?:\(\d{1,4}\)|(?=(\d{1,4}))\2)){2,5}|(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4})(?!\w)`,
    ),
    maxLength: 40,
    tail: /\+?[\d(][\d() .-]*$|\+$/,
    accept: (match) => {
      const digits = match.replace(/\D/g, '').length
      return digits >= 8 && digits <= 15
    },
  },
}

/**
 * Finds emails and phone numbers in text and replaces them with `[EMAIL]` and
 * `[PHONE]`, for whole texts and for text that arrives in pieces.
 */
export class Redactor {
  readonly #detectors: Detector[]

  /** @param kinds what to find; at least one. */
  constructor(kinds: readonly PiiKind[]) {
    this.#detectors = kinds.map((kind) => DETECTORS[kind])
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

  /**
   * Matches left to right, never overlapping: the leftmost next match of any kind, the first
   * kind on a tie, as one regex alternation of the kinds would find them. A match `accept`
   * rejects is skipped whole. Each detector's next match is kept until a match of another kind
   * covers its start, so the text is scanned about once per kind.
   */
  #matches(text: string): Match[] {
    const found: Match[] = []
    const next = this.#detectors.map((detector) => detector.find(text, 0))
    for (let at = 0; ; ) {
      let first = -1
      for (let i = 0; i < next.length; i++) {
        if (next[i] && next[i]!.start < at) next[i] = this.#detectors[i]!.find(text, at)
        if (next[i] && (first === -1 || next[i]!.start < next[first]!.start)) first = i
      }
      if (first === -1) return found
      const { start, end } = next[first]!
      const detector = this.#detectors[first]!
      if (!detector.accept || detector.accept(text.slice(start, end))) found.push({ start, end, label: detector.label })
      at = end
    }
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
